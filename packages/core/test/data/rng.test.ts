import { describe, expect, it } from 'vitest';
import { LabError, Rng } from '../../src/index.js';

/** sfc32 step written again with BigInt arithmetic, to check the 32-bit int tricks of the implementation. */
function sfc32Reference(words: [number, number, number, number], n: number): number[] {
  const M = (1n << 32n) - 1n;
  let [a, b, c, d] = words.map(BigInt) as [bigint, bigint, bigint, bigint];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = (a + b + d) & M;
    d = (d + 1n) & M;
    a = b ^ (b >> 9n);
    b = (c + (c << 3n)) & M;
    c = ((c << 21n) | (c >> 11n)) & M;
    c = (c + t) & M;
    out.push(Number(t));
  }
  return out;
}

function chiSquare(counts: number[], expected: number): number {
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('Rng', () => {
  it('implements sfc32 exactly', () => {
    const rng = new Rng(123);
    const state = rng.getState();
    const ours = Array.from({ length: 1000 }, () => rng.nextUint32());
    expect(ours).toEqual(sfc32Reference(state.words, 1000));
  });

  it('same seed, same stream; different seeds, different streams', () => {
    const draw = (seed: number | string) => {
      const r = new Rng(seed);
      return Array.from({ length: 20 }, () => r.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw('data')).toEqual(draw('data'));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(0)).not.toEqual(draw(1));
    // Seeds that differ in one bit still give unrelated first outputs (the hash mixes).
    const firsts = new Set(Array.from({ length: 1000 }, (_, i) => new Rng(i).nextUint32()));
    expect(firsts.size).toBe(1000);
    expect(() => new Rng(1.5)).toThrow(LabError);
  });

  it('fork depends on seed and label only, not on draws made', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    for (let i = 0; i < 17; i++) b.nextFloat();
    expect(a.fork('epoch:3').nextUint32()).toBe(b.fork('epoch:3').nextUint32());
    expect(a.fork('epoch:3').nextUint32()).not.toBe(a.fork('epoch:4').nextUint32());
    expect(a.fork('x').fork('y').nextUint32()).toBe(new Rng(1).fork('x').fork('y').nextUint32());
    expect(a.fork(2).nextUint32()).not.toBe(a.nextUint32());
  });

  it('state round-trips', () => {
    const r = new Rng('s');
    r.nextFloat();
    const saved = JSON.parse(JSON.stringify(r.getState()));
    const next = Array.from({ length: 5 }, () => r.nextFloat());
    const resumed = Rng.fromState(saved);
    expect(Array.from({ length: 5 }, () => resumed.nextFloat())).toEqual(next);
    expect(resumed.fork('k').nextUint32()).toBe(new Rng('s').fork('k').nextUint32());
  });

  it('nextFloat is uniform on [0, 1)', () => {
    const r = new Rng(2);
    const n = 100_000;
    const bins = new Array(10).fill(0);
    let sum = 0;
    let sq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = r.nextFloat();
      if (!(x >= 0 && x < 1)) outside++;
      bins[Math.floor(x * 10)]++;
      sum += x;
      sq += x * x;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(chiSquare(bins, n / 10)).toBeLessThan(27.9); // df 9, p = 0.001
  });

  it('nextInt is unbiased, even where modulo would be biased', () => {
    const r = new Rng(3);
    const dice = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) dice[r.nextInt(6)]++;
    expect(chiSquare(dice, 10_000)).toBeLessThan(20.5); // df 5, p = 0.001
    // n = 3·2^30: plain x % n would put half the mass below 2^30 instead of a third.
    const n = 3 * 2 ** 30;
    let low = 0;
    for (let i = 0; i < 30_000; i++) if (r.nextInt(n) < 2 ** 30) low++;
    expect(low / 30_000).toBeCloseTo(1 / 3, 1);
    const big = r.nextInt(2 ** 40);
    expect(Number.isInteger(big) && big >= 0 && big < 2 ** 40).toBe(true);
    for (let i = 0; i < 100; i++) {
      const x = r.intBetween(-3, 3);
      expect(x >= -3 && x <= 3).toBe(true);
    }
    expect(() => r.nextInt(0)).toThrow(expect.objectContaining({ code: 'RNG_ARGUMENT' }));
  });

  it('normal has the right moments and 1-sigma mass', () => {
    const r = new Rng(4);
    const n = 50_000;
    let sum = 0;
    let sq = 0;
    let within = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal(2, 3);
      sum += x;
      sq += x * x;
      if (Math.abs(x - 2) < 3) within++;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(2, 1);
    expect(Math.sqrt(sq / n - mean * mean)).toBeCloseTo(3, 1);
    expect(within / n).toBeCloseTo(0.6827, 2);
  });

  it('shuffle gives every permutation equally often; sample, choice, weightedIndex', () => {
    const r = new Rng(5);
    const counts = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const key = r.shuffle(['a', 'b', 'c']).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    expect(chiSquare([...counts.values()], 10_000)).toBeLessThan(20.5);
    const items = [1, 2, 3, 4, 5];
    const s = r.sample(items, 3);
    expect(new Set(s).size).toBe(3);
    expect(items).toEqual([1, 2, 3, 4, 5]); // not mutated
    expect(() => r.choice([])).toThrow(LabError);
    const w = [0, 1, 3];
    const hits = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) hits[r.weightedIndex(w)]!++;
    expect(hits[0]).toBe(0);
    expect(hits[2]! / hits[1]!).toBeCloseTo(3, 0);
    expect(() => r.weightedIndex([0, 0])).toThrow(LabError);
    expect(() => r.weightedIndex([1, -1])).toThrow(LabError);
  });
});
