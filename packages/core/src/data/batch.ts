/**
 * Batching token sequences of different lengths: pad (left or right) or
 * truncate to one length, with an attention mask (1 real, 0 padding) and a
 * loss mask (1 where a token is a training target), as plain arrays or as
 * the tensors of an LMBatch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { LMBatch } from '../train/lm-loss.js';

export interface PadOptions {
  /** Id written at padded positions (masked out everywhere, so any valid id works). */
  padId: number;
  /** Row length. Default: the longest sequence. */
  length?: number;
  /** Where padding goes. 'right' (default) for training; 'left' for batched generation, so every prompt ends at the last column. */
  side?: 'right' | 'left';
  /** Sequences longer than `length`: 'error' (default), 'right' (drop the end) or 'left' (drop the start, keep the latest tokens). */
  truncate?: 'error' | 'left' | 'right';
  /** Per-sequence loss masks (same lengths as the sequences), e.g. 1 on completion tokens only. Default: 1 on every real token. */
  lossMasks?: readonly (readonly number[])[];
}

/** Padded rows as plain arrays, each [batch][length]. */
export interface PaddedBatch {
  tokens: number[][];
  attentionMask: number[][];
  lossMask: number[][];
  /** Real (unpadded, after truncation) length of each row. */
  lengths: number[];
}

/**
 * Pads (or truncates) sequences to one length.
 *
 * @example
 * padSequences([[5, 6, 7], [8]], { padId: 0 });
 * // tokens [[5, 6, 7], [8, 0, 0]], attentionMask [[1, 1, 1], [1, 0, 0]], lossMask the same
 * padSequences([[5, 6, 7], [8]], { padId: 0, side: 'left' }).tokens; // [[5, 6, 7], [0, 0, 8]]
 */
export function padSequences(seqs: readonly (readonly number[])[], options: PadOptions): PaddedBatch {
  const side = options.side ?? 'right';
  const truncate = options.truncate ?? 'error';
  if (!Number.isInteger(options.padId)) {
    throw new LabError('BATCH_OPTIONS', `padId must be an integer, got ${options.padId}`, { field: 'padId' });
  }
  if (seqs.length === 0) throw new LabError('BATCH_EMPTY', 'cannot batch zero sequences', {});
  const length = options.length ?? seqs.reduce((m, s) => Math.max(m, s.length), 0);
  if (!Number.isInteger(length) || length < 1) {
    throw new LabError('BATCH_OPTIONS', `length must be a positive integer, got ${length}`, {
      field: 'length',
    });
  }
  if (options.lossMasks && options.lossMasks.length !== seqs.length) {
    throw new LabError(
      'BATCH_OPTIONS',
      `${options.lossMasks.length} loss masks for ${seqs.length} sequences`,
      { field: 'lossMasks' },
    );
  }
  const out: PaddedBatch = { tokens: [], attentionMask: [], lossMask: [], lengths: [] };
  seqs.forEach((seq, row) => {
    let ids = [...seq];
    let loss = options.lossMasks ? [...options.lossMasks[row]!] : ids.map(() => 1);
    if (loss.length !== ids.length) {
      throw new LabError(
        'BATCH_OPTIONS',
        `row ${row}: loss mask has ${loss.length} entries for ${ids.length} tokens`,
        {
          field: 'lossMasks',
          row,
        },
      );
    }
    if (ids.length > length) {
      if (truncate === 'error') {
        throw new LabError(
          'BATCH_TOO_LONG',
          `row ${row} has ${ids.length} tokens, more than length ${length}`,
          {
            row,
            length: ids.length,
            max: length,
          },
        );
      }
      const start = truncate === 'left' ? ids.length - length : 0;
      ids = ids.slice(start, start + length);
      loss = loss.slice(start, start + length);
    }
    const pad = length - ids.length;
    const padIds = new Array<number>(pad).fill(options.padId);
    const zeros = new Array<number>(pad).fill(0);
    const ones = new Array<number>(ids.length).fill(1);
    if (side === 'right') {
      out.tokens.push([...ids, ...padIds]);
      out.attentionMask.push([...ones, ...zeros]);
      out.lossMask.push([...loss, ...zeros]);
    } else {
      out.tokens.push([...padIds, ...ids]);
      out.attentionMask.push([...zeros, ...ones]);
      out.lossMask.push([...zeros, ...loss]);
    }
    out.lengths.push(ids.length);
  });
  return out;
}

/**
 * The tensors of a padded batch: tokens and attentionMask int32, lossMask
 * float32, each [batch, length]. The caller (or train()) disposes them.
 */
export function toLMBatch(batch: PaddedBatch): Required<LMBatch> {
  const b = batch.tokens.length;
  const t = batch.tokens[0]?.length ?? 0;
  return {
    tokens: tf.tensor2d(batch.tokens.flat(), [b, t], 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask.flat(), [b, t], 'int32'),
    lossMask: tf.tensor2d(batch.lossMask.flat(), [b, t], 'float32'),
  };
}

/**
 * Pads sequences and returns the LMBatch tensors in one call.
 *
 * @example
 * const batch = padBatch(rows.map((r) => tok.encode(r, { addBos: true, addEos: true })), { padId: tok.padId!, length: 65 });
 * const loss = nextTokenLoss(model, batch);
 */
export function padBatch(seqs: readonly (readonly number[])[], options: PadOptions): Required<LMBatch> {
  return toLMBatch(padSequences(seqs, options));
}
