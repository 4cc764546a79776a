import { describe, expect, it } from 'vitest';
import {
  BLANK,
  countingVocabulary,
  encodeBatch,
  FLIP_FLOP_SPLITS,
  flipFlopVocabulary,
  generateCounting,
  generateFlipFlop,
  generateSelectiveCopy,
  SELECTIVE_COPY_SPLITS,
  SEPARATOR,
  selectiveCopyVocabulary,
  simulateCounting,
  simulateFlipFlop,
} from '../../src/index.js';

describe('counting task', () => {
  for (const numVars of [1, 3, 5]) {
    it(`answers are correct by re-simulation (${numVars} variables)`, () => {
      const samples = generateCounting({ numVars, maxSteps: 64 }, 300, numVars);
      const vocab = countingVocabulary(numVars);
      const seen = new Set<string>();
      for (const s of samples) {
        const n = s.tokens.length;
        expect(s.tokens.slice(n - 3, n - 1)).toEqual(['print', s.variable]);
        expect(simulateCounting(s.tokens)).toBe(s.answer);
        expect(s.tokens[n - 1]).toBe(String(s.answer));
        expect(s.scored.filter(Boolean)).toHaveLength(1);
        expect(s.scored[n - 1]).toBe(true);
        expect(s.answer).toBeGreaterThanOrEqual(0);
        expect(s.answer).toBeLessThanOrEqual(10);
        vocab.encode(s.tokens); // every token is in the vocabulary
        seen.add(s.variable);
      }
      expect(seen.size).toBe(numVars); // every variable gets asked about
    });
  }

  it('follows the statement distribution (SET 1 : PASS 50 : INC 7) and the step range', () => {
    const samples = generateCounting({ numVars: 3, maxSteps: 64 }, 2000, 9);
    // Before the first SET an INC has nothing to increment and is redrawn, so
    // the mix is PASS 50 : SET 1 there and PASS 50 : SET 1 : INC 7 after it
    // (rare INCs past 10 are redrawn too).
    const after = { pass: 0, set: 0, inc: 0 };
    const steps: number[] = [];
    for (const s of samples) {
      const body = s.tokens.slice(0, -3);
      let n = 0;
      let seenSet = false;
      for (let i = 0; i < body.length; n++) {
        const kind = body[i] === 'pass;' ? 'pass' : body[i + 1] === '=' ? 'set' : 'inc';
        if (kind === 'inc') expect(seenSet).toBe(true);
        if (seenSet) after[kind]++;
        if (kind === 'set') seenSet = true;
        i += kind === 'pass' ? 1 : kind === 'set' ? 4 : 2;
      }
      steps.push(n);
    }
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...steps)).toBe(64);
    // Programs that never SET are rejected, so long ones are likelier: each
    // statement before the first SET is a SET with probability 1/51, so a
    // program of n statements survives with probability 1 − (50/51)^n.
    let num = 0;
    let den = 0;
    for (let n = 3; n <= 64; n++) {
      num += n * (1 - (50 / 51) ** n);
      den += 1 - (50 / 51) ** n;
    }
    const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
    expect(Math.abs(mean - num / den)).toBeLessThan(1);
    const total = after.pass + after.set + after.inc;
    expect(Math.abs(after.pass / total - 50 / 58)).toBeLessThan(0.01);
    expect(Math.abs(after.inc / total - 7 / 58)).toBeLessThan(0.01);
    expect(Math.abs(after.set / total - 1 / 58)).toBeLessThan(0.005);
  });

  it('is deterministic per seed and honours maxTokens', () => {
    expect(generateCounting({}, 20, 4)).toEqual(generateCounting({}, 20, 4));
    expect(generateCounting({}, 20, 4)).not.toEqual(generateCounting({}, 20, 5));
    const short = generateCounting({ maxTokens: 40 }, 200, 1);
    expect(Math.max(...short.map((s) => s.tokens.length))).toBeLessThanOrEqual(40);
  });
});

describe('flip-flop task', () => {
  it('reads equal the last write (re-simulated), sequences start with w and end with r', () => {
    for (const [name, split] of Object.entries(FLIP_FLOP_SPLITS)) {
      const samples = generateFlipFlop(split, 200, 3);
      const vocab = flipFlopVocabulary();
      for (const s of samples) {
        expect(s.tokens).toHaveLength(2 * split.pairs);
        expect(s.tokens[0]).toBe('w');
        expect(s.tokens[s.tokens.length - 2]).toBe('r');
        const scoredBits = s.tokens.filter((_, i) => s.scored[i]);
        expect(scoredBits, name).toEqual(simulateFlipFlop(s.tokens));
        s.tokens.forEach((_t, i) => {
          if (s.scored[i]) expect(s.tokens[i - 1]).toBe('r');
        });
        vocab.encode(s.tokens);
      }
    }
  });

  it('draws inner instructions with p_i and splits w/r evenly, bits uniform', () => {
    for (const pIgnore of [0.8, 0.98, 0.1]) {
      const samples = generateFlipFlop({ pairs: 64, pIgnore }, 400, 11);
      const counts = { w: 0, r: 0, i: 0 };
      let ones = 0;
      let bits = 0;
      for (const s of samples) {
        for (let p = 1; p < 63; p++) {
          const op = s.tokens[2 * p] as 'w' | 'r' | 'i';
          counts[op]++;
          if (op !== 'r') {
            bits++;
            if (s.tokens[2 * p + 1] === '1') ones++;
          }
        }
      }
      const total = counts.w + counts.r + counts.i;
      expect(Math.abs(counts.i / total - pIgnore)).toBeLessThan(0.01);
      expect(Math.abs(counts.w / total - (1 - pIgnore) / 2)).toBeLessThan(0.01);
      expect(Math.abs(counts.r / total - (1 - pIgnore) / 2)).toBeLessThan(0.01);
      expect(Math.abs(ones / bits - 0.5)).toBeLessThan(0.02);
    }
  });
});

describe('selective copy task', () => {
  it('targets are the data tokens in order, with the configured counts of blanks and data', () => {
    for (const split of Object.values(SELECTIVE_COPY_SPLITS)) {
      const samples = generateSelectiveCopy(split, 200, 5);
      const vocab = selectiveCopyVocabulary(8);
      const sizes = new Set<number>();
      for (const s of samples) {
        const sep = s.tokens.indexOf(SEPARATOR);
        const context = s.tokens.slice(0, sep);
        const data = context.filter((t) => t !== BLANK);
        expect(context.filter((t) => t === BLANK)).toHaveLength(split.blanks);
        expect(s.tokens.slice(sep + 1)).toEqual(data);
        expect(s.tokens.filter((_, i) => s.scored[i])).toEqual(data);
        expect(data.length).toBeGreaterThanOrEqual(8);
        expect(data.length).toBeLessThanOrEqual(16);
        sizes.add(data.length);
        vocab.encode(s.tokens);
      }
      expect(sizes.size).toBe(9); // 8..16 all occur
    }
  });

  it('places data uniformly over the context', () => {
    const samples = generateSelectiveCopy({ blanks: 64, minData: 8, maxData: 8 }, 2000, 2);
    const firstHalf = samples.reduce(
      (n, s) => n + s.tokens.slice(0, 36).filter((t) => t !== BLANK).length,
      0,
    );
    expect(firstHalf / (samples.length * 8)).toBeGreaterThan(0.47);
    expect(firstHalf / (samples.length * 8)).toBeLessThan(0.53);
  });
});

describe('encodeBatch', () => {
  it('right-pads, marks real tokens and scored tokens, and refuses to truncate', () => {
    const vocab = flipFlopVocabulary();
    const samples = [
      { tokens: ['w', '1', 'r', '1'], scored: [false, false, false, true] },
      { tokens: ['w', '0'], scored: [false, false] },
    ];
    const b = encodeBatch(samples, vocab);
    expect(b.length).toBe(4);
    expect(Array.from(b.tokens)).toEqual([1, 5, 2, 5, 1, 4, 0, 0]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(b.lossMask)).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
    expect(vocab.decode(b.tokens.slice(0, 4))).toEqual(samples[0]!.tokens);
    expect(() => encodeBatch(samples, vocab, 3)).toThrow(/4 tokens/);
  });
});
