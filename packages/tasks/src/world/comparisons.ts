/**
 * A yes/no comparison template for the arithmetic world (pathfinder's spec:
 * "a yes/no comparison template exercises non-numeric exact match"): two
 * people each go through a short seeded chain of steps, and the question asks
 * whether the first ends with more than the second. CoT lines spell out both
 * chains and the comparison; the gold answer is `yes` or `no`.
 */
import { LabError } from '@lab/core';
import { z } from 'zod';
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

/** Pool sizes tried in turn: the first is usually enough; the last bounds the work. */
function poolSizes(n: number): number[] {
  const first = n * 4 + 8;
  return [first, first * 2, first * 4, first * 8];
}

function itemOf(p: WordProblem): string {
  return /^\w+ has \d+ (\w+)\./.exec(p.question)![1];
}

function nameOf(p: WordProblem): string {
  return p.question.split(' ')[0];
}

/**
 * Pairs problems greedily: each unused problem takes the first later unused
 * one with the same item, another person and a different final value.
 */
function pairUp(pool: WordProblem[], want: number): [WordProblem, WordProblem][] {
  const pairs: [WordProblem, WordProblem][] = [];
  const used = new Set<number>();
  for (let i = 0; i < pool.length && pairs.length < want; i++) {
    if (used.has(i)) continue;
    const a = pool[i];
    const itemA = itemOf(a);
    const nameA = nameOf(a);
    const j = pool.findIndex(
      (b, k) =>
        k > i &&
        !used.has(k) &&
        itemOf(b) === itemA &&
        nameOf(b) !== nameA &&
        b.answerValue !== a.answerValue,
    );
    if (j < 0) continue;
    used.add(i);
    used.add(j);
    pairs.push([a, pool[j]]);
  }
  return pairs;
}

/**
 * Generates seeded yes/no comparisons, balanced between yes and no: answers
 * alternate yes, no, yes, … so the counts differ by at most one.
 *
 * @example
 * const [c] = generateComparisonProblems({ n: 1, seed: 2 });
 * c.question; // 'Max has 273 coins. He splits his coins into 7 equal piles and keeps one pile. Sam has 65 coins. … Does Max have more coins than Sam now?'
 * c.cotSteps.at(-1); // 'The answer is yes.'
 */
export function generateComparisonProblems(options: ComparisonOptions = {}): ComparisonProblem[] {
  const o = ComparisonOptionsSchema.parse(options);
  let pairs: [WordProblem, WordProblem][] = [];
  // The word-problem generator is sequential in its seed, so a larger pool
  // extends the smaller one; grow it until enough pairs exist.
  for (const size of poolSizes(o.n)) {
    const pool = generateWordProblems({
      n: size,
      seed: o.seed,
      split: o.split,
      minSteps: o.minSteps,
      maxSteps: o.maxSteps,
      operandMin: o.operandMin,
      operandMax: o.operandMax,
    });
    pairs = pairUp(pool, o.n);
    if (pairs.length >= o.n) break;
  }
  if (pairs.length < o.n) {
    throw new LabError(
      'WORLD_EXHAUSTED',
      `generateComparisonProblems: found ${pairs.length} of ${o.n} pairs`,
      {
        found: pairs.length,
      },
    );
  }
  const out: ComparisonProblem[] = [];
  for (const [p, q] of pairs) {
    const wantYes = out.length % 2 === 0;
    // Order the pair so that "does the first have more?" has the wanted answer.
    const [a, b] = p.answerValue > q.answerValue === wantYes ? [p, q] : [q, p];
    const nameA = nameOf(a);
    const nameB = nameOf(b);
    const answer = a.answerValue > b.answerValue ? 'yes' : 'no';
    const question = `${body(a)} ${body(b)} Does ${nameA} have more ${itemOf(a)} than ${nameB} now?`;
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
  return out;
}
