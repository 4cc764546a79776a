/**
 * Documents packed into fixed windows of token ids (BOS doc EOS BOS doc …),
 * and batches of windows as core LMBatches.
 */
import { type LMBatch, tf } from '@lab/core';
import { BOS_ID, EOS_ID, encodeChars } from './char-vocab.js';

/**
 * @param length tokens per window (the model sees length − 1 inputs).
 * @example
 * const w = packWindows(documents('code', 'train', 0), 129); w.next().value.length; // 129
 */
export function* packWindows(docs: Iterator<string>, length: number): Generator<number[]> {
  let buf: number[] = [];
  for (;;) {
    while (buf.length < length) {
      const next = docs.next();
      if (next.done) return;
      buf.push(BOS_ID, ...encodeChars(next.value), EOS_ID);
    }
    yield buf.slice(0, length);
    buf = buf.slice(length);
  }
}

/** Each step draws one window from each stream in turn (round robin over `streams`). */
export function* lmBatches(
  streams: Iterator<number[]>[],
  batchSize: number,
  steps: number,
): Generator<LMBatch> {
  let turn = 0;
  for (let s = 0; s < steps; s++) {
    const rows: number[][] = [];
    for (let i = 0; i < batchSize; i++) {
      const next = streams[turn++ % streams.length]!.next();
      if (next.done) return;
      rows.push(next.value);
    }
    yield { tokens: tf.tensor2d(rows, [batchSize, rows[0]!.length], 'int32') };
  }
}
