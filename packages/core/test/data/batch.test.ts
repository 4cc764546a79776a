import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, padBatch, padSequences, Rng } from '../../src/index.js';

describe('padSequences', () => {
  it('pads right or left with matching masks', () => {
    const right = padSequences([[5, 6, 7], [8]], { padId: 0 });
    expect(right).toEqual({
      tokens: [
        [5, 6, 7],
        [8, 0, 0],
      ],
      attentionMask: [
        [1, 1, 1],
        [1, 0, 0],
      ],
      lossMask: [
        [1, 1, 1],
        [1, 0, 0],
      ],
      lengths: [3, 1],
    });
    const left = padSequences([[5, 6, 7], [8]], {
      padId: 9,
      side: 'left',
      length: 4,
      lossMasks: [[0, 1, 1], [1]],
    });
    expect(left.tokens).toEqual([
      [9, 5, 6, 7],
      [9, 9, 9, 8],
    ]);
    expect(left.attentionMask).toEqual([
      [0, 1, 1, 1],
      [0, 0, 0, 1],
    ]);
    expect(left.lossMask).toEqual([
      [0, 0, 1, 1],
      [0, 0, 0, 1],
    ]);
  });

  it('truncates on request, else refuses', () => {
    expect(() => padSequences([[1, 2, 3]], { padId: 0, length: 2 })).toThrow(
      expect.objectContaining({ code: 'BATCH_TOO_LONG', context: expect.objectContaining({ row: 0 }) }),
    );
    expect(padSequences([[1, 2, 3]], { padId: 0, length: 2, truncate: 'right' }).tokens).toEqual([[1, 2]]);
    const l = padSequences([[1, 2, 3]], { padId: 0, length: 2, truncate: 'left', lossMasks: [[1, 0, 1]] });
    expect(l.tokens).toEqual([[2, 3]]);
    expect(l.lossMask).toEqual([[0, 1]]);
    expect(() => padSequences([[1, 2]], { padId: 0, lossMasks: [[1]] })).toThrow(
      expect.objectContaining({ code: 'BATCH_OPTIONS' }),
    );
    expect(() => padSequences([], { padId: 0 })).toThrow(expect.objectContaining({ code: 'BATCH_EMPTY' }));
  });

  it('invariants on random batches: real tokens kept in order, masks sum to lengths', () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 100; trial++) {
      const seqs = Array.from({ length: 1 + rng.nextInt(5) }, () =>
        Array.from({ length: rng.nextInt(10) + 1 }, () => 1 + rng.nextInt(50)),
      );
      const side = rng.bernoulli(0.5) ? 'left' : 'right';
      const p = padSequences(seqs, { padId: 0, side });
      const len = Math.max(...seqs.map((s) => s.length));
      p.tokens.forEach((row, i) => {
        expect(row).toHaveLength(len);
        expect(row.filter((_, j) => p.attentionMask[i]![j] === 1)).toEqual(seqs[i]);
        expect(row.filter((_, j) => p.attentionMask[i]![j] === 0).every((x) => x === 0)).toBe(true);
        expect(p.lossMask[i]!.reduce((a, b) => a + b, 0)).toBe(seqs[i]!.length);
      });
    }
  });
});

describe('padBatch', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('gives LMBatch tensors with dtypes and shapes', () => {
    const before = tf.memory().numTensors;
    const b = padBatch([[1, 2], [3]], { padId: 0, length: 3 });
    expect(b.tokens.dtype).toBe('int32');
    expect(b.tokens.shape).toEqual([2, 3]);
    expect(b.attentionMask.dtype).toBe('int32');
    expect(b.lossMask.dtype).toBe('float32');
    expect(Array.from(b.tokens.dataSync())).toEqual([1, 2, 0, 3, 0, 0]);
    expect(Array.from(b.lossMask.dataSync())).toEqual([1, 1, 0, 1, 0, 0]);
    tf.dispose([b.tokens, b.attentionMask, b.lossMask]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
