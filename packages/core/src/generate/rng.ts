/**
 * A small seeded PRNG (SplitMix32 finaliser over a Weyl sequence) for
 * sampling: same seed, same draws, on every platform. Not for cryptography.
 */

function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Uniform floats in [0, 1) from a 32-bit seed.
 *
 * @example
 * const rand = seededRandom(42);
 * rand(); // same value on every run
 */
export function seededRandom(seed: number): () => number {
  let state = mix32(seed ^ 0x9e3779b9);
  return () => {
    state = (state + 0x9e3779b9) | 0;
    return mix32(state) / 4294967296;
  };
}

/** A seed for stream `index` derived from `seed` (independent per row). */
export function deriveSeed(seed: number, index: number): number {
  return mix32(mix32(seed) + Math.imul(index + 1, 0x632be5ab));
}
