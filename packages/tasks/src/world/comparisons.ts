/**
 * A yes/no comparison template for the arithmetic world (pathfinder's spec:
 * "a yes/no comparison template exercises non-numeric exact match"): two
 * people each go through a short seeded chain of steps, and the question asks
 * whether the first ends with more than the second. CoT lines spell out both
 * chains and the comparison; the gold answer is `yes` or `no`.
 */
import { LabError } from '@lab/core';
import { z } from 'zod';
import { createRng } from '../rng.js';
import { generateWordProblems, type WordProblem } from './word-problems.js';

/** One comparison problem. */
export interface ComparisonProblem {
  id: string;
  split: string;
  question: string;
  answer: 'yes' | 'no';
  /** The two underlying problems (same item), first and second person. */
  first: WordProblem;
  second: WordProblem;
  cotSteps: string[];
  cot: string;
}

export const ComparisonOptionsSchema = z.strictObject({
  split: z.string().default('train'),
  n: z.number().int().nonnegative().default(1000),
  seed: z.number().int().default(0),
  minSteps: z.number().int().min(1).max(6).default(1),
  maxSteps: z.number().int().min(1).max(6).default(2),
  operandMin: z.number().int().min(1).default(10),
  operandMax: z.number().int().min(1).default(499),
});
export type ComparisonOptions = z.input<typeof ComparisonOptionsSchema>;

function body(p: WordProblem): string {
  // Drop the closing question of the single-person problem.
  return p.question.replace(/\s*How many [^?]+\?$/, '');
}

/**
 * Generates seeded yes/no comparisons, balanced between yes and no.
 *
 * @example
 * const [c] = generateComparisonProblems({ n: 1, seed: 2 });
 * c.question; // '… Does Mia have more apples than Leo now?'
 * c.cotSteps.at(-1); // 'The answer is no.'
 */
export function generateComparisonProblems(options: ComparisonOptions = {}): ComparisonProblem[] {
  const o = ComparisonOptionsSchema.parse(options);
  const rng = createRng(o.seed ^ 0x5bd1e995);
  const pool = generateWordProblems({
    n: o.n * 4 + 8,
    seed: o.seed,
    split: o.split,
    minSteps: o.minSteps,
    maxSteps: o.maxSteps,
    operandMin: o.operandMin,
    operandMax: o.operandMax,
  });
  const out: ComparisonProblem[] = [];
  const used = new Set<number>();
  for (let i = 0; i < pool.length && out.length < o.n; i++) {
    if (used.has(i)) continue;
    const a = pool[i];
    const itemA = /^\w+ has \d+ (\w+)\./.exec(a.question)![1];
    const nameA = a.question.split(' ')[0];
    const wantYes = rng.next() < 0.5;
    const j = pool.findIndex((b, k) => {
      if (k <= i || used.has(k)) return false;
      const itemB = /^\w+ has \d+ (\w+)\./.exec(b.question)![1];
      const nameB = b.question.split(' ')[0];
      return (
        itemB === itemA &&
        nameB !== nameA &&
        b.answerValue !== a.answerValue &&
        a.answerValue > b.answerValue === wantYes
      );
    });
    if (j < 0) continue;
    used.add(i);
    used.add(j);
    const b = pool[j];
    const nameB = b.question.split(' ')[0];
    const answer = a.answerValue > b.answerValue ? 'yes' : 'no';
    const question = `${body(a)} ${body(b)} Does ${nameA} have more ${itemA} than ${nameB} now?`;
    const cotSteps = [
      ...a.cotSteps.slice(0, -1),
      ...b.cotSteps.slice(0, -1),
      `${nameA} has ${a.answerValue} and ${nameB} has ${b.answerValue}, so ${a.answerValue} ${answer === 'yes' ? '>' : '<'} ${b.answerValue}.`,
      `The answer is ${answer}.`,
    ];
    out.push({
      id: `${o.split}-cmp-${out.length}`,
      split: o.split,
      question,
      answer,
      first: a,
      second: b,
      cotSteps,
      cot: cotSteps.join(' '),
    });
  }
  if (out.length < o.n) {
    throw new LabError('WORLD_EXHAUSTED', `generateComparisonProblems: found ${out.length} of ${o.n} pairs`, {
      found: out.length,
    });
  }
  return out;
}
