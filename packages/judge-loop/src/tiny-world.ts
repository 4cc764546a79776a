/**
 * The spec's tiny world (§5), for the benchmark, the tests and demos: a
 * question is a left-to-right chain of single-digit operations (`7+5-3`), a
 * response a worked solution (`7+5=12;12-3=9`), a judgment a short check of
 * each step of both responses and a verdict (`A:ok,ok;B:6!7,ok;[[A]]`: `ok`,
 * `bad` for an arithmetic slip, `6!7` for "uses 6 where the question has 7").
 * The generator G is a noisy solver wrapped as a LanguageModel, so pairs go
 * through the same buildPairs stage, templates and parser as a real model's.
 */
import { Rng, VocabTokenizer } from '@lab/core';
import {
  type GenerateRequestInput,
  type GenerateResult,
  type LanguageModel,
  type PairwiseTemplate,
  parseRequests,
  type SftExample,
} from '@lab/lm';
import type { EvalInputRaw, PairRecord } from './records.js';
import { type ResponseTemplate, WORSE_MARKERS, type WorseResponseTemplate } from './templates.js';

export type TinyOp = '+' | '-';

export interface TinyQuestion {
  operands: [number, number, number];
  ops: [TinyOp, TinyOp];
}

export function formatQuestion(q: TinyQuestion): string {
  const [a, b, c] = q.operands;
  return `${a}${q.ops[0]}${b}${q.ops[1]}${c}`;
}

export function parseQuestion(text: string): TinyQuestion | null {
  const m = /^([1-9])([+-])([1-9])([+-])([1-9])$/.exec(text.trim());
  if (!m) return null;
  return { operands: [Number(m[1]), Number(m[3]), Number(m[5])], ops: [m[2] as TinyOp, m[4] as TinyOp] };
}

export function randomQuestion(rng: Rng): TinyQuestion {
  const d = () => 1 + rng.nextInt(9);
  const op = (): TinyOp => (rng.nextInt(2) === 0 ? '+' : '-');
  return { operands: [d(), d(), d()], ops: [op(), op()] };
}

const apply = (x: number, op: TinyOp, y: number) => (op === '+' ? x + y : x - y);

/** A nonzero error in [−3, 3]. */
function slip(rng: Rng): number {
  const d = 1 + rng.nextInt(3);
  return rng.nextInt(2) === 0 ? d : -d;
}

/** A worked solution; each step's result is off by a small nonzero amount with probability `stepError`. */
export function solve(q: TinyQuestion, rng: Rng, stepError: number): string {
  let left = q.operands[0];
  const steps: string[] = [];
  for (let k = 0; k < 2; k++) {
    const right = q.operands[k + 1]!;
    const truth = apply(left, q.ops[k]!, right);
    const result = stepError > 0 && rng.bernoulli(stepError) ? truth + slip(rng) : truth;
    steps.push(`${left}${q.ops[k]}${right}=${result}`);
    left = result;
  }
  return steps.join(';');
}

/** The correct chain with exactly one arithmetic slip (later steps consistent with it). */
export function slipSolution(q: TinyQuestion, rng: Rng): string {
  const at = rng.nextInt(2);
  let left = q.operands[0];
  const steps: string[] = [];
  for (let k = 0; k < 2; k++) {
    const right = q.operands[k + 1]!;
    const result = apply(left, q.ops[k]!, right) + (k === at ? slip(rng) : 0);
    steps.push(`${left}${q.ops[k]}${right}=${result}`);
    left = result;
  }
  return steps.join(';');
}

/** x′: one operand changed to a different digit (same shape and topic, a different question). */
export function modifyQuestion(q: TinyQuestion, rng: Rng): TinyQuestion {
  const at = rng.nextInt(3);
  const operands = [...q.operands] as [number, number, number];
  let d = operands[at]!;
  while (d === operands[at]) d = 1 + rng.nextInt(9);
  operands[at] = d;
  return { operands, ops: [...q.ops] as [TinyOp, TinyOp] };
}

const STEP = /^(-?\d+)([+-])(-?\d+)=(-?\d+)$/;

/** One check per step of `response` against question `q`: `ok`, `bad`, or `<used>!<expected>`. */
export function checkSolution(q: TinyQuestion, response: string): string[] {
  const steps = response.trim().split(';');
  const checks: string[] = [];
  let prev: number | null = q.operands[0];
  for (let k = 0; k < Math.max(2, steps.length); k++) {
    const m = k < steps.length ? STEP.exec(steps[k]!.trim()) : null;
    if (k >= 2 || !m) {
      checks.push('bad');
      prev = m ? Number(m[4]) : null;
      continue;
    }
    const [left, op, right, result] = [Number(m[1]), m[2] as TinyOp, Number(m[3]), Number(m[4])];
    const expRight = q.operands[k + 1]!;
    if (op !== q.ops[k]) checks.push('bad');
    else if (prev !== null && left !== prev) checks.push(`${left}!${prev}`);
    else if (right !== expRight) checks.push(`${right}!${expRight}`);
    else if (result !== apply(left, op, right)) checks.push('bad');
    else checks.push('ok');
    prev = result;
  }
  return checks;
}

/** The response solves `q` with every step right. */
export function isCorrect(q: TinyQuestion, response: string): boolean {
  return checkSolution(q, response).every((c) => c === 'ok');
}

/** The verdict the checks imply: one side all `ok` and the other not; otherwise a tie (`C`). */
export function verdictFromChecks(a: readonly string[], b: readonly string[]): 'A' | 'B' | 'C' {
  const okA = a.every((c) => c === 'ok');
  const okB = b.every((c) => c === 'ok');
  return okA && !okB ? 'A' : okB && !okA ? 'B' : 'C';
}

export function formatJudgment(a: readonly string[], b: readonly string[], verdict: 'A' | 'B' | 'C'): string {
  return `A:${a.join(',')};B:${b.join(',')};[[${verdict}]]`;
}

/** The truthful judgment of a pair in the A/B frame given. */
export function trueJudgment(q: TinyQuestion, responseA: string, responseB: string): string {
  const a = checkSolution(q, responseA);
  const b = checkSolution(q, responseB);
  return formatJudgment(a, b, verdictFromChecks(a, b));
}

/** Tiny-world judge prompt (a raw string: the tiny model has no chat template). */
export const tinyJudgeTemplate: PairwiseTemplate = (x) =>
  `Q:${x.prompt}\nA:${x.responseA}\nB:${x.responseB}\nJ:`;
/** Tiny-world response prompt. */
export const tinyResponseTemplate: ResponseTemplate = (prompt) => `Q:${prompt}\nS:`;
/** Tiny-world worse-response prompt (read only by the programmatic generator). */
export const tinyWorseTemplate: WorseResponseTemplate = ({ prompt, response }) => `W:${prompt}|${response}\n`;

/** Every character the tiny world's model reads or writes. */
export const TINY_CHARSET = '0123456789+-=;:,!|[]\nQSABCJWokbad';

/** The character tokenizer of the tiny world (pad, bos, eos, unk first). */
export function tinyTokenizer(): VocabTokenizer {
  return new VocabTokenizer({ level: 'char', tokens: [...TINY_CHARSET] });
}

export interface TinyGeneratorOptions {
  /** Step error of the noisy solver. Spec: 0.15. */
  stepError?: number;
  seed?: number;
}

/**
 * G of the tiny world: a noisy solver behind the LanguageModel interface. It
 * answers `tinyResponseTemplate` prompts with a solution and
 * `tinyWorseTemplate` prompts with x′ and a solution of x′ between the
 * worse-response markers. Same prompt and sample index, same text.
 *
 * @example
 * ```ts
 * const g = new TinyGenerator({ stepError: 0.15 });
 * const { pairs } = await buildPairs({ runDir, instructions, generator: g,
 *   templates: { response: tinyResponseTemplate, worseResponse: tinyWorseTemplate } });
 * ```
 */
export class TinyGenerator implements LanguageModel {
  readonly id = 'tiny-noisy-solver';
  private readonly stepError: number;
  private readonly seed: number;

  constructor(options: TinyGeneratorOptions = {}) {
    this.stepError = options.stepError ?? 0.15;
    this.seed = options.seed ?? 0;
  }

  async generate(requests: readonly GenerateRequestInput[]): Promise<GenerateResult[]> {
    return parseRequests(requests).map((r) => {
      const prompt =
        r.prompt ?? r.messages!.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
      const samples = Array.from({ length: r.n }, (_, k) => {
        const rng = new Rng(`${this.seed}:${r.seed ?? ''}:${prompt}:${k}`);
        const text = this.answer(prompt, rng);
        return { text, finishReason: 'stop' as const, completionTokens: text.length };
      });
      return {
        ...(r.id !== undefined ? { id: r.id } : {}),
        model: this.id,
        samples,
        promptTokens: prompt.length,
      };
    });
  }

  private answer(prompt: string, rng: Rng): string {
    const solveMatch = /^Q:(.*)\nS:$/.exec(prompt);
    if (solveMatch) {
      const q = parseQuestion(solveMatch[1]!);
      return q ? solve(q, rng, this.stepError) : '';
    }
    const worseMatch = /^W:([^|]*)\|/.exec(prompt);
    if (worseMatch) {
      const q = parseQuestion(worseMatch[1]!);
      if (!q) return '';
      const modified = modifyQuestion(q, rng);
      return (
        `${WORSE_MARKERS.question}\n${formatQuestion(modified)}\n` +
        `${WORSE_MARKERS.answerStart}\n${solve(modified, rng, this.stepError)}\n${WORSE_MARKERS.answerEnd}`
      );
    }
    return '';
  }
}

export interface SeedCorpusOptions {
  /** Solutions from the noisy solver. Spec: 16,000. */
  solutions: number;
  /** Noisy judge transcripts. Spec: 4,000. */
  transcripts: number;
  stepError?: number;
  /** Probability that a transcript has one wrong step check. Spec: 0.2. */
  wrongCheck?: number;
  /** Probability that the verdict contradicts the checks. Spec: 0.25. */
  contradict?: number;
  seed?: number;
}

/**
 * Pretraining data of the seed M0: noisy solutions and noisy judge transcripts
 * of loop-style pairs (y_w = G(x), y_l = G(x′), random order), whose noise
 * stands in for an instruct model's imperfect judging.
 */
export function seedCorpus(options: SeedCorpusOptions): SftExample[] {
  const rng = new Rng(options.seed ?? 0);
  const p = options.stepError ?? 0.15;
  const out: SftExample[] = [];
  for (let i = 0; i < options.solutions; i++) {
    const q = randomQuestion(rng);
    out.push({ prompt: tinyResponseTemplate(formatQuestion(q)) as string, completion: solve(q, rng, p) });
  }
  for (let i = 0; i < options.transcripts; i++) {
    const q = randomQuestion(rng);
    const yw = solve(q, rng, p);
    const yl = solve(modifyQuestion(q, rng), rng, p);
    const [ra, rb] = rng.nextInt(2) === 0 ? [yw, yl] : [yl, yw];
    const checks = [checkSolution(q, ra), checkSolution(q, rb)];
    if (rng.bernoulli(options.wrongCheck ?? 0.2)) {
      const side = rng.nextInt(2);
      const at = rng.nextInt(checks[side]!.length);
      checks[side]![at] = checks[side]![at] === 'ok' ? 'bad' : 'ok';
    }
    let verdict = verdictFromChecks(checks[0]!, checks[1]!);
    if (rng.bernoulli(options.contradict ?? 0.25)) {
      const others = (['A', 'B', 'C'] as const).filter((v) => v !== verdict);
      verdict = rng.choice(others);
    }
    out.push({
      prompt: tinyJudgeTemplate({ prompt: formatQuestion(q), responseA: ra, responseB: rb }) as string,
      completion: formatJudgment(checks[0]!, checks[1]!, verdict),
    });
  }
  return rng.shuffle(out);
}

/** Distinct random questions, none in `exclude`. */
export function distinctQuestions(n: number, rng: Rng, exclude: ReadonlySet<string> = new Set()): string[] {
  const seen = new Set<string>();
  let guard = 0;
  while (seen.size < n) {
    const q = formatQuestion(randomQuestion(rng));
    if (!exclude.has(q)) seen.add(q);
    if (++guard > n * 1000) throw new Error(`distinctQuestions: cannot find ${n} questions`);
  }
  return [...seen];
}

export type TinySplit = 'in-distribution' | 'shifted';

/**
 * Held-out labelled pairs in RewardBench format, chosen = a correct solution:
 * `in-distribution` against a noisy solution of a modified question (a fresh
 * operand swap), `shifted` against the correct chain with one arithmetic slip.
 */
export function heldOutPairs(
  questions: readonly string[],
  split: TinySplit,
  seed: number,
  stepError = 0.15,
): EvalInputRaw[] {
  const rng = new Rng(`${seed}:${split}`);
  return questions.map((text, i) => {
    const q = parseQuestion(text)!;
    const chosen = solve(q, rng, 0);
    const rejected =
      split === 'in-distribution' ? solve(modifyQuestion(q, rng), rng, stepError) : slipSolution(q, rng);
    return { id: `heldout-${split}-${i}`, prompt: text, chosen, rejected, subset: split };
  });
}

/** The synthetic label is right: y_w solves x and y_l does not (never used for training). */
export function labelIsRight(pair: Pick<PairRecord, 'prompt' | 'chosen' | 'rejected'>): boolean {
  const q = parseQuestion(pair.prompt);
  if (!q) return false;
  return isCorrect(q, pair.chosen) && !isCorrect(q, pair.rejected);
}
