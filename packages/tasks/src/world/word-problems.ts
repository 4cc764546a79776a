/**
 * The templated arithmetic word-problem world shared by coa, pathfinder,
 * judge-loop and shepherd: seeded multi-step problems over + − × ÷ (exact
 * division only), each with its gold answer, structured steps, a CoT solution
 * (one step per line, arithmetic spelled out) and a CoA chain (the same steps
 * with placeholders). Splits follow the CoA spec §5: train and in-distribution
 * with operands in [10, 499], numerically shifted with operands in [500, 999]
 * (same digit lengths), and longer chains of 4–5 steps.
 */
import { LabError } from '@lab/core';
import { z } from 'zod';
import { createRng, type Rng } from '../rng.js';

/** Operators of the world. */
export type WorldOp = '+' | '-' | '*' | '/';

/** One arithmetic step: `left op right = result`; `leftFrom` is the step index that produced `left`, if any. */
export interface WordProblemStep {
  op: WorldOp;
  left: number;
  right: number;
  result: number;
  leftFrom: number | null;
  /** The sentence of the question that introduces this step. */
  sentence: string;
  /** The reasoning clause before the arithmetic ("She buys 45 more"). */
  clause: string;
}

/** One generated problem with everything the methods train and score on. */
export interface WordProblem {
  id: string;
  split: string;
  question: string;
  /** Gold answer as text (an integer). */
  answer: string;
  answerValue: number;
  nSteps: number;
  steps: WordProblemStep[];
  /** CoT lines: `She buys 45 more, so 23 + 45 = 68.` …, then `The answer is 56.` */
  cotSteps: string[];
  /** `cotSteps` joined with spaces. */
  cot: string;
  /** CoA lines: `She buys 45 more, so [23 + 45 = y1].` …, then `The answer is y2.` */
  coaSteps: string[];
  /** `coaSteps` joined with spaces. */
  coa: string;
}

/** Options of `generateWordProblems`; defaults give the spec's train split. */
export const WordProblemOptionsSchema = z.strictObject({
  /** Name written into each record's `split` and id. */
  split: z.string().default('train'),
  n: z.number().int().nonnegative().default(1000),
  seed: z.number().int().default(0),
  minSteps: z.number().int().min(1).max(12).default(1),
  maxSteps: z.number().int().min(1).max(12).default(3),
  /** Range of added/subtracted quantities and starting amounts. */
  operandMin: z.number().int().min(1).default(10),
  operandMax: z.number().int().min(1).default(499),
  /** Range of multipliers and divisors (kept small so results stay readable). */
  factorMin: z.number().int().min(2).default(2),
  factorMax: z.number().int().min(2).default(9),
  /** Placeholder prefix of the CoA chain (`y` gives y1, y2, …). */
  placeholderPrefix: z
    .string()
    .regex(/^[A-Za-z]$/)
    .default('y'),
  /** Questions to avoid (e.g. the train set when generating test splits). */
  exclude: z.custom<ReadonlySet<string>>((v) => v instanceof Set).optional(),
});
export type WordProblemOptions = z.input<typeof WordProblemOptionsSchema>;

/** Presets of the spec's splits (CoA §5; pathfinder uses train/id/ood-long). */
export const WORD_PROBLEM_SPLITS: Record<
  'train' | 'id' | 'ood-numeric' | 'ood-long',
  Pick<WordProblemOptions, 'minSteps' | 'maxSteps' | 'operandMin' | 'operandMax' | 'n'>
> = {
  train: { n: 20_000, minSteps: 1, maxSteps: 3, operandMin: 10, operandMax: 499 },
  id: { n: 1_000, minSteps: 1, maxSteps: 3, operandMin: 10, operandMax: 499 },
  'ood-numeric': { n: 1_000, minSteps: 1, maxSteps: 3, operandMin: 500, operandMax: 999 },
  'ood-long': { n: 500, minSteps: 4, maxSteps: 5, operandMin: 10, operandMax: 499 },
};

const NAMES = [
  ['Mia', 'She', 'her'],
  ['Leo', 'He', 'his'],
  ['Ava', 'She', 'her'],
  ['Sam', 'He', 'his'],
  ['Zoe', 'She', 'her'],
  ['Max', 'He', 'his'],
  ['Ivy', 'She', 'her'],
  ['Ben', 'He', 'his'],
] as const;
const ITEMS = [
  'apples',
  'marbles',
  'stickers',
  'coins',
  'books',
  'shells',
  'cards',
  'stamps',
  'pens',
  'beads',
];
const FRIENDS = ['Tom', 'Kim', 'Raj', 'Eva', 'Lou', 'Ann'];

type Person = (typeof NAMES)[number];

function sentenceFor(
  rng: Rng,
  op: WorldOp,
  b: number,
  p: Person,
  item: string,
): { sentence: string; clause: string } {
  const [, he, his] = p;
  switch (op) {
    case '+': {
      const v = rng.int(0, 2);
      if (v === 0) return { sentence: `${he} buys ${b} more ${item}.`, clause: `${he} buys ${b} more` };
      if (v === 1) {
        const f = rng.pick(FRIENDS);
        return { sentence: `${f} gives ${his} ${b} ${item}.`, clause: `${f} gives ${b} more` };
      }
      return { sentence: `${he} finds ${b} more ${item}.`, clause: `${he} finds ${b} more` };
    }
    case '-': {
      const v = rng.int(0, 1);
      if (v === 0) {
        const f = rng.pick(FRIENDS);
        return { sentence: `${he} gives ${b} ${item} to ${f}.`, clause: `${he} gives away ${b}` };
      }
      return { sentence: `${he} loses ${b} ${item}.`, clause: `${he} loses ${b}` };
    }
    case '*':
      return {
        sentence: `${he} then gets ${b} times as many ${item} as ${he.toLowerCase()} has.`,
        clause: `${he} gets ${b} times as many`,
      };
    case '/':
      return {
        sentence: `${he} splits ${his} ${item} into ${b} equal piles and keeps one pile.`,
        clause: `${he} keeps one of ${b} piles`,
      };
  }
}

function apply(op: WorldOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
  }
}

function divisorsIn(x: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = lo; d <= hi; d++) if (x % d === 0) out.push(d);
  return out;
}

function oneProblem(rng: Rng, o: z.output<typeof WordProblemOptionsSchema>, index: number): WordProblem {
  const person = rng.pick(NAMES);
  const item = rng.pick(ITEMS);
  const nSteps = rng.int(o.minSteps, o.maxSteps);
  const start = rng.int(o.operandMin, o.operandMax);
  const steps: WordProblemStep[] = [];
  let x = start;
  for (let s = 0; s < nSteps; s++) {
    // Prefer a uniformly drawn operator; fall back when it cannot apply exactly.
    let op = rng.pick<WorldOp>(['+', '-', '*', '/']);
    let b = 0;
    if (op === '/') {
      const ds = divisorsIn(x, o.factorMin, o.factorMax);
      if (ds.length === 0) op = rng.pick<WorldOp>(['+', '-', '*']);
      else b = rng.pick(ds);
    }
    if (op === '-') {
      const hi = Math.min(o.operandMax, x - 1);
      if (hi < o.operandMin) op = '+';
      else b = rng.int(o.operandMin, hi);
    }
    if (op === '+') b = rng.int(o.operandMin, o.operandMax);
    if (op === '*') b = rng.int(o.factorMin, o.factorMax);
    const { sentence, clause } = sentenceFor(rng, op, b, person, item);
    const result = apply(op, x, b);
    steps.push({ op, left: x, right: b, result, leftFrom: s === 0 ? null : s - 1, sentence, clause });
    x = result;
  }
  const [name] = person;
  const question = `${name} has ${start} ${item}. ${steps.map((s) => s.sentence).join(' ')} How many ${item} does ${name} have now?`;
  const p = o.placeholderPrefix;
  const cotSteps = steps.map((s) => `${s.clause}, so ${s.left} ${s.op} ${s.right} = ${s.result}.`);
  cotSteps.push(`The answer is ${x}.`);
  const coaSteps = steps.map(
    (s, i) =>
      `${s.clause}, so [${s.leftFrom === null ? s.left : `${p}${s.leftFrom + 1}`} ${s.op} ${s.right} = ${p}${i + 1}].`,
  );
  coaSteps.push(`The answer is ${p}${steps.length}.`);
  return {
    id: `${o.split}-${index}`,
    split: o.split,
    question,
    answer: String(x),
    answerValue: x,
    nSteps,
    steps,
    cotSteps,
    cot: cotSteps.join(' '),
    coaSteps,
    coa: coaSteps.join(' '),
  };
}

/**
 * Generates `n` seeded word problems (no duplicate questions, none from `exclude`).
 *
 * @example
 * const [p] = generateWordProblems({ n: 1, seed: 3, ...WORD_PROBLEM_SPLITS['ood-numeric'] });
 * p.question; // 'Max has 537 apples. He splits his apples into 3 equal piles and keeps one pile. He buys 580 more apples. …'
 * p.coa;      // 'He keeps one of 3 piles, so [537 / 3 = y1]. He buys 580 more, so [y1 + 580 = y2]. The answer is y2.'
 */
export function generateWordProblems(options: WordProblemOptions = {}): WordProblem[] {
  const o = WordProblemOptionsSchema.parse(options);
  if (o.minSteps > o.maxSteps || o.operandMin > o.operandMax || o.factorMin > o.factorMax) {
    throw new LabError('BAD_CONFIG', 'generateWordProblems: a min exceeds its max', { options: o });
  }
  const rng = createRng(o.seed);
  const seen = new Set<string>();
  const out: WordProblem[] = [];
  let attempts = 0;
  while (out.length < o.n) {
    if (++attempts > o.n * 50 + 1000) {
      throw new LabError('WORLD_EXHAUSTED', `generateWordProblems: could not find ${o.n} distinct problems`, {
        found: out.length,
      });
    }
    const p = oneProblem(rng, o, out.length);
    if (seen.has(p.question) || o.exclude?.has(p.question)) continue;
    seen.add(p.question);
    out.push(p);
  }
  return out;
}

/** All four splits of the spec, test splits disjoint from train. */
export interface ArithmeticWorld {
  train: WordProblem[];
  id: WordProblem[];
  'ood-numeric': WordProblem[];
  'ood-long': WordProblem[];
}

/**
 * Builds the whole world from one seed (each split gets its own derived seed).
 * `sizes` overrides the spec's split sizes (20k / 1k / 1k / 500).
 *
 * @example
 * const world = generateArithmeticWorld({ seed: 1, sizes: { train: 200, id: 50, 'ood-numeric': 50, 'ood-long': 20 } });
 */
export function generateArithmeticWorld(
  opts: {
    seed?: number;
    sizes?: Partial<Record<keyof ArithmeticWorld, number>>;
    placeholderPrefix?: string;
  } = {},
): ArithmeticWorld {
  const seed = opts.seed ?? 0;
  const make = (split: keyof ArithmeticWorld, k: number, exclude?: Set<string>): WordProblem[] =>
    generateWordProblems({
      ...WORD_PROBLEM_SPLITS[split],
      n: opts.sizes?.[split] ?? WORD_PROBLEM_SPLITS[split].n,
      split,
      seed: seed * 7919 + k,
      placeholderPrefix: opts.placeholderPrefix ?? 'y',
      exclude,
    });
  const train = make('train', 1);
  const trainQs = new Set(train.map((p) => p.question));
  return {
    train,
    id: make('id', 2, trainQs),
    'ood-numeric': make('ood-numeric', 3, trainQs),
    'ood-long': make('ood-long', 4, trainQs),
  };
}
