/**
 * The seeded randomness the task generators draw from: @lab/core's Rng
 * (sfc32), behind the few draws the generators use.
 */
import { Rng } from '@lab/core';

/** The draws the generators need. */
export interface TaskRandom {
  nextFloat(): number;
  nextInt(n: number): number;
  intBetween(min: number, max: number): number;
  weightedIndex(weights: readonly number[]): number;
  choice<T>(items: readonly T[]): T;
  sample<T>(items: readonly T[], k: number): T[];
}

/** A seeded generator: same seed, same stream. */
export function taskRandom(seed: number): TaskRandom {
  return new Rng(seed);
}
