/** Uniform floats in [0, 1) from core's seeded Rng, for test data. */
import { Rng } from '../../src/index.js';

export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.nextFloat();
}
