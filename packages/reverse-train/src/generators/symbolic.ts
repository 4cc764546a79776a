/**
 * The symbolic reversal task (spec §4.1): entities are sequences of 1…L random
 * symbol words, facts are `a r1 r2 b`, half the pairs (A) also appear as
 * `b r3 a` to teach the reverse format, and the other half (B) are tested with
 * the prompt `b r3`, answer `a`. Forward `a r1 r2 → b` is tested on all pairs.
 */
import { LabError, Rng } from '@lab/core';
import { z } from 'zod';
import type { QAItem, TaskData } from './types.js';

export const SymbolicConfigSchema = z.strictObject({
  /** Number of (a, b) pairs. */
  pairs: z.number().int().min(2).default(2000),
  /** Symbol vocabulary size S (spec: 50…200). */
  symbols: z.number().int().min(2).default(100),
  /** Entity length ~ U{1…maxEntityLength}. */
  maxEntityLength: z.number().int().min(1).default(3),
  seed: z.union([z.number().int(), z.string()]).default(0),
});
export type SymbolicConfig = z.infer<typeof SymbolicConfigSchema>;

export interface SymbolicPair {
  a: string[];
  b: string[];
  /** `A`: reverse statement in training; `B`: reverse tested. */
  split: 'A' | 'B';
}

export interface SymbolicTask extends TaskData {
  pairs: SymbolicPair[];
}

/** Relation words: `r1 r2` forward (two tokens, so its reversal is new text), `r3` reverse. */
export const SYMBOLIC_RELATIONS = ['r1', 'r2', 'r3'] as const;

/**
 * Generates the symbolic task.
 *
 * @example
 * const task = generateSymbolic({ pairs: 500, seed: 1 });
 * task.train[0].text // 's12 s40 r1 r2 s7'
 * task.test.find((q) => q.direction === 'reverse') // { prompt: 's3 s9 r3', answer: 's71', … }
 */
export function generateSymbolic(config: z.input<typeof SymbolicConfigSchema> = {}): SymbolicTask {
  const c = SymbolicConfigSchema.parse(config);
  let capacity = 0;
  for (let l = 1; l <= c.maxEntityLength; l++) capacity += c.symbols ** l;
  if (2 * c.pairs > capacity / 2) {
    throw new LabError(
      'GENERATOR_CONFIG',
      `symbolic: ${2 * c.pairs} distinct entities from ${c.symbols} symbols of length ≤ ${c.maxEntityLength} is too tight (capacity ${capacity}); raise symbols`,
      { pairs: c.pairs, symbols: c.symbols, maxEntityLength: c.maxEntityLength },
    );
  }
  const rng = new Rng(c.seed).fork('symbolic');
  const used = new Set<string>();
  const entity = (): string[] => {
    for (;;) {
      const len = rng.intBetween(1, c.maxEntityLength);
      const e = Array.from({ length: len }, () => `s${rng.nextInt(c.symbols)}`);
      const key = e.join(' ');
      if (!used.has(key)) {
        used.add(key);
        return e;
      }
    }
  };
  const pairs: SymbolicPair[] = [];
  for (let i = 0; i < c.pairs; i++) pairs.push({ a: entity(), b: entity(), split: 'A' });
  // Exactly half the pairs in each split, chosen at random.
  const order = rng.shuffle(pairs.map((_, i) => i));
  for (let j = 0; j < order.length; j++) pairs[order[j]!]!.split = j < Math.floor(c.pairs / 2) ? 'A' : 'B';

  const [r1, r2, r3] = SYMBOLIC_RELATIONS;
  const train: TaskData['train'] = [];
  const test: QAItem[] = [];
  pairs.forEach((p, i) => {
    const la = p.a.length;
    const lb = p.b.length;
    train.push({
      id: `fact-${i}`,
      text: [...p.a, r1, r2, ...p.b].join(' '),
      entities: [
        [0, la],
        [la + 2, la + 2 + lb],
      ],
    });
    if (p.split === 'A') {
      train.push({
        id: `rev-${i}`,
        text: [...p.b, r3, ...p.a].join(' '),
        entities: [
          [0, lb],
          [lb + 1, lb + 1 + la],
        ],
      });
    } else {
      test.push({
        prompt: [...p.b, r3].join(' '),
        answer: p.a.join(' '),
        direction: 'reverse',
        group: `len${Math.max(la, lb)}`,
      });
    }
    test.push({
      prompt: [...p.a, r1, r2].join(' '),
      answer: p.b.join(' '),
      direction: 'forward',
      group: `len${Math.max(la, lb)}`,
    });
  });
  const vocabulary = [...Array.from({ length: c.symbols }, (_, i) => `s${i}`), ...SYMBOLIC_RELATIONS];
  return { train, test, vocabulary, pairs };
}
