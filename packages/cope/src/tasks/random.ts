/**
 * The seeded randomness the task generators draw from. It is @lab/core's Rng
 * once core exports it; until then a small local mulberry32 with the same
 * method names stands in (TODO(issue 5): switch to core's Rng).
 */

/** The draws the generators need. */
export interface TaskRandom {
  nextFloat(): number;
  nextInt(n: number): number;
  intBetween(min: number, max: number): number;
  weightedIndex(weights: readonly number[]): number;
  choice<T>(items: readonly T[]): T;
  sample<T>(items: readonly T[], k: number): T[];
}

class Mulberry32 implements TaskRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  nextFloat(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
  intBetween(min: number, max: number): number {
    return min + this.nextInt(max - min + 1);
  }
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.nextFloat() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
  choice<T>(items: readonly T[]): T {
    return items[this.nextInt(items.length)]!;
  }
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(copy.length - i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, k);
  }
}

/** A seeded generator: same seed, same stream. */
export function taskRandom(seed: number): TaskRandom {
  return new Mulberry32(seed);
}
