/**
 * The seeded random number generator every @lab data generator uses: sfc32
 * (Chris Doty-Humphrey's Small Fast Counter, 128-bit state, passes
 * PractRand/BigCrush), seeded by hashing a key. Same seed, same stream, on
 * every platform; `fork(label)` derives an independent stream from the seed
 * and a label alone, so (seed, doc id, epoch) always gives the same draws no
 * matter what was drawn before.
 */
import { LabError } from '../errors.js';

export type RngSeed = number | string;

/** Serialisable generator state (to resume a data stream exactly). */
export interface RngState {
  key: string;
  words: [number, number, number, number];
}

/** murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a key string to four 32-bit words (four lanes with different multipliers, cross-mixed). */
function hashKey(key: string): [number, number, number, number] {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = 0x85a308d3 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const k = key.charCodeAt(i);
    a = Math.imul(a ^ k, 0x01000193);
    b = Math.imul(b ^ k, 0x5bd1e995);
    c = Math.imul(c ^ k, 0x27d4eb2f);
    d = Math.imul(d ^ k, 0x165667b1);
    a = (a << 13) | (a >>> 19);
    b = (b << 17) | (b >>> 15);
  }
  a = fmix32(a ^ d);
  b = fmix32(b ^ a);
  c = fmix32(c ^ b);
  d = fmix32(d ^ c);
  return [a, b, c, d];
}

function seedKey(seed: RngSeed): string {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new LabError('RNG_SEED', `seed must be a safe integer or a string, got ${seed}`, { seed });
    }
    return String(seed);
  }
  if (typeof seed !== 'string') {
    throw new LabError('RNG_SEED', `seed must be a safe integer or a string, got ${typeof seed}`, {});
  }
  return seed;
}

/**
 * A seeded generator.
 *
 * @example
 * const rng = new Rng(42);
 * rng.nextFloat(); // in [0, 1)
 * rng.nextInt(6); // 0..5
 * const epochRng = rng.fork(`epoch-${epoch}`); // independent of rng's draws
 * epochRng.shuffle([1, 2, 3]);
 */
export class Rng {
  /** The seed key this stream was derived from (forks append their label). */
  readonly key: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: RngSeed) {
    this.key = seedKey(seed);
    [this.a, this.b, this.c, this.d] = hashKey(this.key);
    // Warm-up: let the counter mix the hashed words before the first output.
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** A generator positioned exactly where `state` was taken. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(state.key);
    [rng.a, rng.b, rng.c, rng.d] = state.words.map((w) => w >>> 0) as RngState['words'];
    return rng;
  }

  getState(): RngState {
    return { key: this.key, words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0] };
  }

  /** An independent generator determined by this one's seed and `label` only (not by draws made so far). */
  fork(label: string | number): Rng {
    return new Rng(`${this.key}\u001f${label}`);
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    // sfc32 step.
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. n: a positive safe integer. */
  nextInt(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new LabError('RNG_ARGUMENT', `nextInt(n) needs a positive integer, got ${n}`, { n });
    }
    if (n <= 0x100000000) {
      // Reject the top sliver of [0, 2^32) that would make low values likelier.
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.nextFloat() * n);
  }

  /** Uniform integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new LabError('RNG_ARGUMENT', `intBetween(${min}, ${max}) needs integers with min <= max`, {
        min,
        max,
      });
    }
    return min + this.nextInt(max - min + 1);
  }

  /** Gaussian sample (Box-Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.nextFloat(); // (0, 1]: log(0) impossible
    const v = this.nextFloat();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** A uniformly chosen element; throws on an empty list. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new LabError('RNG_ARGUMENT', 'choice() from an empty list', {});
    return items[this.nextInt(items.length)]!;
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new LabError('RNG_ARGUMENT', `weights must be finite and non-negative, got ${w}`, {});
      }
      total += w;
    }
    if (total <= 0) throw new LabError('RNG_ARGUMENT', 'weights sum to zero', {});
    let r = this.nextFloat() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    // Rounding left r at (or just above) zero: the last positive weight takes it.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffleInPlace<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A shuffled copy of `items`. */
  shuffle<T>(items: readonly T[]): T[] {
    return this.shuffleInPlace([...items]);
  }

  /** `k` distinct elements in random order (without replacement). */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new LabError('RNG_ARGUMENT', `sample(k=${k}) from ${items.length} items`, { k, n: items.length });
    }
    const copy = [...items];
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(copy.length - i);
      const tmp = copy[i]!;
      copy[i] = copy[j]!;
      copy[j] = tmp;
    }
    return copy.slice(0, k);
  }
}
