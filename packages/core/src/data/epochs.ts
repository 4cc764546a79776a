/**
 * Shuffled epochs of mini-batches. Epoch e's order is drawn from
 * `rng.fork('epoch:e')`, so it depends only on the seed and the epoch number:
 * a run resumed at epoch 7 sees exactly the batches the first run would have.
 */
import { LabError } from '../errors.js';
import { Rng, type RngSeed } from './rng.js';

export interface EpochBatchesOptions {
  batchSize: number;
  /** Seed (or generator, whose key is used) of the shuffles. */
  seed: RngSeed | Rng;
  /** Shuffle each epoch. Default true. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Epochs to run. Default: without end. */
  epochs?: number;
  /** First epoch (to resume). Default 0. */
  startEpoch?: number;
}

/** One mini-batch with where it falls in the run. */
export interface EpochBatch<T> {
  items: T[];
  epoch: number;
  /** Index of the batch within its epoch. */
  index: number;
}

/** The order of items 0..n-1 in epoch `epoch` (a permutation). */
export function epochOrder(n: number, seed: RngSeed | Rng, epoch: number): number[] {
  const rng = seed instanceof Rng ? seed : new Rng(seed);
  return rng.fork(`epoch:${epoch}`).shuffleInPlace(Array.from({ length: n }, (_, i) => i));
}

/**
 * Mini-batches over `items`, epoch after epoch, each epoch in a fresh shuffled order.
 *
 * @example
 * for (const { items, epoch } of epochBatches(examples, { batchSize: 32, seed: 1, epochs: 10 })) {
 *   const batch = padBatch(items.map((e) => e.ids), { padId: 0 });
 * }
 */
export function* epochBatches<T>(
  items: readonly T[],
  options: EpochBatchesOptions,
): Generator<EpochBatch<T>> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new LabError('BATCH_OPTIONS', `batchSize must be a positive integer, got ${batchSize}`, {
      field: 'batchSize',
    });
  }
  if (items.length === 0) throw new LabError('BATCH_EMPTY', 'no items to batch', {});
  const dropLast = options.dropLast ?? false;
  if (dropLast && items.length < batchSize) {
    throw new LabError(
      'BATCH_EMPTY',
      `dropLast with ${items.length} items < batchSize ${batchSize} yields nothing`,
      {},
    );
  }
  const end = (options.startEpoch ?? 0) + (options.epochs ?? Number.POSITIVE_INFINITY);
  for (let epoch = options.startEpoch ?? 0; epoch < end; epoch++) {
    const order =
      (options.shuffle ?? true) ? epochOrder(items.length, options.seed, epoch) : items.map((_, i) => i);
    for (let start = 0, index = 0; start < order.length; start += batchSize, index++) {
      const slice = order.slice(start, start + batchSize);
      if (dropLast && slice.length < batchSize) break;
      yield { items: slice.map((i) => items[i]!), epoch, index };
    }
  }
}
