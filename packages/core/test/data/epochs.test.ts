import { describe, expect, it } from 'vitest';
import { epochBatches, epochOrder, Rng } from '../../src/index.js';

describe('epochBatches', () => {
  it('covers every item once per epoch, in a seed-determined order', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const batches = [...epochBatches(items, { batchSize: 4, seed: 7, epochs: 3 })];
    expect(batches.map((b) => [b.epoch, b.index, b.items.length])).toEqual([
      [0, 0, 4],
      [0, 1, 4],
      [0, 2, 2],
      [1, 0, 4],
      [1, 1, 4],
      [1, 2, 2],
      [2, 0, 4],
      [2, 1, 4],
      [2, 2, 2],
    ]);
    for (let e = 0; e < 3; e++) {
      const seen = batches.filter((b) => b.epoch === e).flatMap((b) => b.items);
      expect([...seen].sort((a, b) => a - b)).toEqual(items);
      expect(seen).toEqual(epochOrder(10, 7, e));
    }
    expect(epochOrder(10, 7, 0)).not.toEqual(epochOrder(10, 7, 1));
    // Resuming at epoch 2 gives the same batches as the full run.
    const resumed = [...epochBatches(items, { batchSize: 4, seed: new Rng(7), epochs: 1, startEpoch: 2 })];
    expect(resumed).toEqual(batches.slice(6));
  });

  it('dropLast, no shuffle, endless by default', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const it = epochBatches(items, { batchSize: 2, seed: 1, shuffle: false, dropLast: true });
    const first = Array.from({ length: 5 }, () => it.next().value!.items);
    expect(first).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['a', 'b'],
      ['c', 'd'],
      ['a', 'b'],
    ]);
    expect(() => [...epochBatches(items, { batchSize: 0, seed: 1 })]).toThrow(
      expect.objectContaining({ code: 'BATCH_OPTIONS' }),
    );
  });
});
