/**
 * Judges: pairwise (which of two responses is better) and pointwise (a score)
 * over any LanguageModel. Each question is asked `samples` times, pairwise in
 * both A/B orders to cancel position bias, and the answers are majority-voted.
 * Prompts are replaceable functions; parsing uses the shared marker parsers.
 */
import { LabError } from '@lab/core';
import { z } from 'zod';
import { parseScore, parseVerdict, type Verdict } from './judge-parsers.js';
import type { ChatMessage, GenerateRequestInput, LanguageModel } from './types.js';

export interface PairwiseInput {
  /** The user's question or instruction. */
  prompt: string;
  responseA: string;
  responseB: string;
  /** A reference answer, when the task has one. */
  reference?: string;
}

export interface PointwiseInput {
  prompt: string;
  response: string;
  reference?: string;
}

/** One judge sample. `verdict` is already mapped back to the caller's A/B. */
export interface PairwiseSample {
  order: 'AB' | 'BA';
  text: string;
  verdict: Verdict;
}

export interface PairwiseJudgment {
  /** Majority over all parsed samples; equal top counts give `tie`; nothing parsed gives `unparsed`. */
  verdict: Verdict;
  /** The text of a sample that agrees with the verdict (or the first sample). */
  reasoning: string;
  votes: Record<Verdict, number>;
  /** The majority of each order agree (both orders only). */
  consistent: boolean;
  samples: PairwiseSample[];
}

export interface PointwiseJudgment {
  /** Mean of the parsed scores, or null when none parsed. */
  score: number | null;
  scores: (number | null)[];
  texts: string[];
}

/** What judge-loop, meta-rewarding, shepherd and pathfinder consume. */
export interface Judge {
  pairwise(inputs: readonly PairwiseInput[]): Promise<PairwiseJudgment[]>;
  pointwise(inputs: readonly PointwiseInput[]): Promise<PointwiseJudgment[]>;
}

export const LMJudgeConfigSchema = z.strictObject({
  /** Judge samples per question (per order). */
  samples: z.int().min(1).default(1),
  /** Ask pairwise questions in both orders. */
  bothOrders: z.boolean().default(true),
  /** Default: 0 for one sample, 0.7 for several (identical greedy votes would be pointless). */
  temperature: z.number().min(0).optional(),
  /** Nucleus sampling mass (the Self-Taught Evaluator samples at 0.9). */
  topP: z.number().gt(0).max(1).default(1),
  maxTokens: z.int().min(1).default(512),
  seed: z.int().optional(),
  /** Scores outside the range count as unparsed. */
  scoreMin: z.number().default(1),
  scoreMax: z.number().default(10),
});
export type LMJudgeConfigInput = z.input<typeof LMJudgeConfigSchema>;

/** Renders a question to chat messages (or a raw prompt string). */
export type PairwiseTemplate = (input: PairwiseInput) => ChatMessage[] | string;
export type PointwiseTemplate = (
  input: PointwiseInput,
  range: { min: number; max: number },
) => ChatMessage[] | string;

/** Default pairwise prompt: compare, explain, end with one verdict marker. */
export const defaultPairwiseTemplate: PairwiseTemplate = (x) => [
  {
    role: 'system',
    content:
      'You are an impartial judge. Compare two assistant responses to the user question. ' +
      'Judge helpfulness, correctness and clarity; ignore response length and the order in which they appear. ' +
      'Explain briefly, then give your verdict on its own final line: "[[A]]" if A is better, "[[B]]" if B is better, "[[C]]" for a tie.',
  },
  {
    role: 'user',
    content:
      `[Question]\n${x.prompt}\n\n` +
      (x.reference !== undefined ? `[Reference answer]\n${x.reference}\n\n` : '') +
      `[Response A]\n${x.responseA}\n\n[Response B]\n${x.responseB}`,
  },
];

/** Default pointwise prompt: explain, end with `Score: N`. */
export const defaultPointwiseTemplate: PointwiseTemplate = (x, range) => [
  {
    role: 'system',
    content:
      `You are an impartial judge. Rate the assistant response to the user question from ${range.min} (worst) to ${range.max} (best) ` +
      'for helpfulness, correctness and clarity. Explain briefly, then end with a line "Score: N".',
  },
  {
    role: 'user',
    content:
      `[Question]\n${x.prompt}\n\n` +
      (x.reference !== undefined ? `[Reference answer]\n${x.reference}\n\n` : '') +
      `[Response]\n${x.response}`,
  },
];

const FLIP: Record<Verdict, Verdict> = { A: 'B', B: 'A', tie: 'tie', unparsed: 'unparsed' };

/** Majority over verdicts; a shared top count is a tie, no parsed vote is unparsed. */
export function majorityVerdict(verdicts: readonly Verdict[]): Verdict {
  const counts = { A: 0, B: 0, tie: 0 };
  for (const v of verdicts) if (v !== 'unparsed') counts[v]++;
  const top = Math.max(counts.A, counts.B, counts.tie);
  if (top === 0) return 'unparsed';
  const leaders = (['A', 'B', 'tie'] as const).filter((k) => counts[k] === top);
  return leaders.length === 1 ? leaders[0]! : 'tie';
}

/**
 * A Judge that asks a LanguageModel.
 *
 * @example
 * ```ts
 * const judge = new LMJudge(model, { samples: 3 });
 * const [j] = await judge.pairwise([{ prompt: 'Capital of France?', responseA: 'Paris', responseB: 'Lyon' }]);
 * j.verdict; // 'A'
 * ```
 */
export class LMJudge implements Judge {
  readonly config: z.infer<typeof LMJudgeConfigSchema>;

  constructor(
    readonly model: LanguageModel,
    config: LMJudgeConfigInput = {},
    readonly templates: { pairwise?: PairwiseTemplate; pointwise?: PointwiseTemplate } = {},
  ) {
    const parsed = LMJudgeConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new LabError('LM_INVALID_CONFIG', `LMJudge config:\n${z.prettifyError(parsed.error)}`, {
        issues: parsed.error.issues,
      });
    }
    this.config = parsed.data;
  }

  private request(rendered: ChatMessage[] | string, id: string): GenerateRequestInput {
    const c = this.config;
    return {
      id,
      ...(typeof rendered === 'string' ? { prompt: rendered } : { messages: rendered }),
      n: c.samples,
      temperature: c.temperature ?? (c.samples === 1 ? 0 : 0.7),
      topP: c.topP,
      maxTokens: c.maxTokens,
      ...(c.seed !== undefined ? { seed: c.seed } : {}),
    };
  }

  async pairwise(inputs: readonly PairwiseInput[]): Promise<PairwiseJudgment[]> {
    const template = this.templates.pairwise ?? defaultPairwiseTemplate;
    const orders: ('AB' | 'BA')[] = this.config.bothOrders ? ['AB', 'BA'] : ['AB'];
    const requests = inputs.flatMap((x, i) =>
      orders.map((o) =>
        this.request(
          template(o === 'AB' ? x : { ...x, responseA: x.responseB, responseB: x.responseA }),
          `pairwise-${i}-${o}`,
        ),
      ),
    );
    const results = await this.model.generate(requests);
    return inputs.map((_, i) => {
      const samples: PairwiseSample[] = orders.flatMap((order, k) =>
        results[i * orders.length + k]!.samples.map((s) => {
          const v = parseVerdict(s.text);
          return { order, text: s.text, verdict: order === 'AB' ? v : FLIP[v] };
        }),
      );
      const verdict = majorityVerdict(samples.map((s) => s.verdict));
      const votes: Record<Verdict, number> = { A: 0, B: 0, tie: 0, unparsed: 0 };
      for (const s of samples) votes[s.verdict]++;
      const perOrder = orders.map((o) =>
        majorityVerdict(samples.filter((s) => s.order === o).map((s) => s.verdict)),
      );
      return {
        verdict,
        reasoning: (samples.find((s) => s.verdict === verdict) ?? samples[0]!).text,
        votes,
        consistent: perOrder.every((v) => v === perOrder[0] && v !== 'unparsed'),
        samples,
      };
    });
  }

  async pointwise(inputs: readonly PointwiseInput[]): Promise<PointwiseJudgment[]> {
    const template = this.templates.pointwise ?? defaultPointwiseTemplate;
    const range = { min: this.config.scoreMin, max: this.config.scoreMax };
    const results = await this.model.generate(
      inputs.map((x, i) => this.request(template(x, range), `pointwise-${i}`)),
    );
    return results.map((r) => {
      const texts = r.samples.map((s) => s.text);
      const scores = texts.map((t) => parseScore(t, range));
      const parsed = scores.filter((s): s is number => s !== null);
      return {
        score: parsed.length ? parsed.reduce((a, b) => a + b, 0) / parsed.length : null,
        scores,
        texts,
      };
    });
  }
}
