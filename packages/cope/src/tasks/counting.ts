/**
 * The counting task of the CoPE paper (section 5.2; logic of the reference's
 * `scripts/count_data_gen.py`): a program of `x = 0 ;`, `x ++;` and `pass;`
 * statements, then `print x`; the answer is x's value. Counting the `x ++;`
 * since the last `x = 0 ;` is easy for positions that count statements
 * touching x, and hard for positions that count tokens.
 */
import { LabError } from '@lab/core';
import { z } from 'zod';
import { taskRandom } from './random.js';
import { type TaskSample, TaskVocabulary } from './vocabulary.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

export const CountingConfigSchema = z.strictObject({
  /** Variables: the first n letters (paper: 1, 3 or 5). */
  numVars: z.number().int().min(1).max(26).default(3),
  /** Statements per program ~ U{3..maxSteps} (paper 512; spec's CPU setting 64). */
  maxSteps: z.number().int().min(3).default(64),
  /** Largest value; an increment past it is resampled. */
  maxValue: z.number().int().min(1).default(10),
  /** Relative weights of SET, PASS, INC. */
  opWeights: z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]).default([1, 50, 7]),
  /** Resample programs longer than this many tokens (question and answer included); omit for no limit. */
  maxTokens: z.number().int().positive().optional(),
});
export type CountingConfig = z.infer<typeof CountingConfigSchema>;

export interface CountingSample extends TaskSample {
  /** The variable asked about. */
  variable: string;
  /** Its value: the answer. */
  answer: number;
}

/** Vocabulary of counting programs over `numVars` variables (values 0..maxValue). */
export function countingVocabulary(numVars = 3, maxValue = 10): TaskVocabulary {
  const values = Array.from({ length: maxValue + 1 }, (_, i) => String(i));
  return new TaskVocabulary([...LETTERS.slice(0, numVars), ...values, '=', ';', 'pass;', '++;', 'print']);
}

class RetryOp extends Error {}

/**
 * `count` counting programs, seeded.
 *
 * @example
 * const train = generateCounting({ numVars: 3, maxSteps: 64 }, 10_000, 1);
 * train[0].tokens.join(' '); // 'pass; b = 0 ; pass; b ++; … print b 1'
 */
export function generateCounting(
  config: z.input<typeof CountingConfigSchema>,
  count: number,
  seed: number,
): CountingSample[] {
  const cfg = CountingConfigSchema.parse(config);
  const rng = taskRandom(seed);
  const names = LETTERS.slice(0, cfg.numVars);
  const out: CountingSample[] = [];
  const tryOnce = (): CountingSample | null => {
    const state = new Map<string, number>();
    const tokens: string[] = [];
    const steps = rng.intBetween(3, cfg.maxSteps);
    for (let s = 0; s < steps; s++) {
      let done = false;
      for (let attempt = 0; attempt < 100 && !done; attempt++) {
        try {
          const op = rng.weightedIndex(cfg.opWeights);
          if (op === 0) {
            const v = rng.choice(names);
            state.set(v, 0);
            tokens.push(v, '=', '0', ';');
          } else if (op === 1) {
            tokens.push('pass;');
          } else {
            if (state.size === 0) throw new RetryOp();
            const v = rng.choice([...state.keys()]);
            const value = state.get(v)!;
            if (value + 1 > cfg.maxValue) throw new RetryOp();
            state.set(v, value + 1);
            tokens.push(v, '++;');
          }
          done = true;
        } catch (e) {
          if (!(e instanceof RetryOp)) throw e;
        }
      }
      if (!done) throw new LabError('COUNTING_GENERATION', 'a statement failed 100 times', { config: cfg });
    }
    if (state.size === 0) return null;
    const variable = rng.choice([...state.keys()]);
    const answer = state.get(variable)!;
    tokens.push('print', variable, String(answer));
    if (cfg.maxTokens !== undefined && tokens.length > cfg.maxTokens) return null;
    const scored = tokens.map((_, i) => i === tokens.length - 1);
    return { tokens, scored, variable, answer };
  };
  for (let n = 0; n < count; n++) {
    let sample: CountingSample | null = null;
    for (let attempt = 0; attempt < 1000 && !sample; attempt++) sample = tryOnce();
    if (!sample) throw new LabError('COUNTING_GENERATION', 'no valid program in 1000 tries', { config: cfg });
    out.push(sample);
  }
  return out;
}

/**
 * Runs a counting program (tokens up to and including `print x`) and returns
 * x's value: the answer by re-simulation, independent of the generator.
 */
export function simulateCounting(tokens: readonly string[]): number {
  const state = new Map<string, number>();
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t === 'pass;') i += 1;
    else if (t === 'print') {
      const v = state.get(tokens[i + 1]!);
      if (v === undefined)
        throw new LabError('COUNTING_PROGRAM', `print of unset ${tokens[i + 1]}`, { at: i });
      return v;
    } else if (tokens[i + 1] === '=') {
      state.set(t, Number(tokens[i + 2]));
      i += 4;
    } else if (tokens[i + 1] === '++;') {
      state.set(t, (state.get(t) ?? Number.NaN) + 1);
      i += 2;
    } else throw new LabError('COUNTING_PROGRAM', `unexpected token "${t}" at ${i}`, { at: i });
  }
  throw new LabError('COUNTING_PROGRAM', 'program has no print', {});
}
