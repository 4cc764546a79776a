/**
 * The generation stages of the loop, each a resumable @lab/lm pipeline stage
 * (`runStage`): finished records are appended to `<runDir>/<name>.jsonl` as
 * they finish and a rerun skips them.
 *   - selectInstructions: optional category tagging, then a seeded subsample;
 *   - buildPairs: y_w = G(x), then the worse-response prompt gives x′ and y_l;
 *   - sampleJudgments: N judgments per pair and order from the current judge,
 *     asked through @lab/lm's LMJudge (verdicts by its parser).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError, Rng } from '@lab/core';
import {
  generateOne,
  type LanguageModel,
  LMJudge,
  type PairwiseTemplate,
  runStage,
  type StageProgress,
} from '@lab/lm';
import { parseCategory, parseWorseResponseDetailed, recordVerdict } from './parsers.js';
import {
  type Instruction,
  type InstructionInput,
  InstructionSchema,
  type JudgmentRecord,
  type Order,
  type PairRecord,
} from './records.js';
import {
  type CategoryTemplate,
  categoryTemplate,
  judgeTemplate,
  type Rendered,
  type ResponseTemplate,
  responseTemplate,
  type WorseResponseTemplate,
  worseResponseTemplate,
} from './templates.js';

/** Options every stage shares. */
export interface StageCommon {
  /** Run folder; each stage writes `<runDir>/<name>.jsonl`. */
  runDir: string;
  /** Records in flight at once (server concurrency). Default 4. */
  concurrency?: number;
  /** Passed to runStage: true = stderr status line, false = silent, or your own display. */
  progress?: boolean | ((p: StageProgress) => void);
  signal?: AbortSignal;
}

/** Sampling settings of one generation role. */
export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
}

function asRequest(rendered: Rendered) {
  return typeof rendered === 'string' ? { prompt: rendered } : { messages: rendered };
}

// ---------------------------------------------------------------- instructions

export interface SelectInstructionsOptions extends StageCommon {
  instructions: readonly InstructionInput[];
  /** Tags each instruction with a category (the paper's generator). Without it nothing is tagged. */
  tagger?: LanguageModel;
  categories?: readonly string[];
  /** Keep only these categories (default: all). */
  keep?: readonly string[];
  /** Keep at most this many, a seeded random subsample (the paper's subsampling is undocumented). */
  limit?: number;
  seed?: number;
  template?: CategoryTemplate;
  /** Stage name. Default `instructions`. */
  name?: string;
}

export interface SelectedInstructions {
  instructions: Instruction[];
  /** Per category (or `untagged`): how many were tagged so. */
  counts: Record<string, number>;
}

/**
 * Tags (optionally), filters by category and subsamples instructions. The
 * selection (seed, ids) is written to `<runDir>/<name>.selected.json`.
 *
 * @example
 * ```ts
 * const { instructions } = await selectInstructions({
 *   runDir, instructions: raw, tagger: generator,
 *   categories: ['reasoning', 'coding', 'other'], keep: ['reasoning'], limit: 20000, seed: 1,
 * });
 * ```
 */
export async function selectInstructions(options: SelectInstructionsOptions): Promise<SelectedInstructions> {
  const name = options.name ?? 'instructions';
  const inputs = options.instructions.map((x, i) => {
    const r = InstructionSchema.safeParse(x);
    if (!r.success) {
      throw new LabError('JUDGE_LOOP_BAD_INSTRUCTION', `instruction #${i}: ${r.error.message}`, { index: i });
    }
    return r.data;
  });
  let tagged: Instruction[] = inputs;
  if (options.tagger) {
    const categories = options.categories ?? [];
    if (categories.length === 0) {
      throw new LabError('JUDGE_LOOP_INVALID_CONFIG', 'selectInstructions: a tagger needs `categories`', {});
    }
    const tagger = options.tagger;
    const template = options.template ?? categoryTemplate;
    const stage = await runStage({
      runDir: options.runDir,
      name,
      inputs,
      id: (x) => x.id,
      concurrency: options.concurrency,
      progress: options.progress,
      signal: options.signal,
      failFast: true,
      run: async (x) => {
        const r = await generateOne(tagger, {
          ...asRequest(template(x.prompt, categories)),
          temperature: 0,
          maxTokens: 64,
        });
        return parseCategory(r.samples[0]?.text ?? '', categories);
      },
    });
    const byId = new Map(stage.records.map((r) => [r.id, r.output as string | null]));
    tagged = inputs.map((x) => ({ ...x, category: byId.get(x.id) ?? null }));
  }
  const counts: Record<string, number> = {};
  for (const x of tagged) counts[x.category ?? 'untagged'] = (counts[x.category ?? 'untagged'] ?? 0) + 1;
  const keep = options.keep ? new Set(options.keep) : null;
  let kept = keep ? tagged.filter((x) => x.category !== null && keep.has(x.category)) : tagged;
  const seed = options.seed ?? 0;
  if (options.limit !== undefined && kept.length > options.limit) {
    const chosen = new Set(new Rng(seed).sample(kept, options.limit).map((x) => x.id));
    kept = kept.filter((x) => chosen.has(x.id));
  }
  await mkdir(options.runDir, { recursive: true });
  await writeFile(
    join(options.runDir, `${name}.selected.json`),
    `${JSON.stringify({ seed, limit: options.limit ?? null, keep: options.keep ?? null, counts, ids: kept.map((x) => x.id) })}\n`,
  );
  return { instructions: kept, counts };
}

// ---------------------------------------------------------------- pairs

export interface BuildPairsOptions extends StageCommon {
  instructions: readonly InstructionInput[];
  /** G: writes y_w and the (x′, y_l) reply. */
  generator: LanguageModel;
  templates?: { response?: ResponseTemplate; worseResponse?: WorseResponseTemplate };
  /** Default: temperature 0.7, topP 0.9, maxTokens 2048. */
  sampling?: SamplingOptions;
  /** Stage name. Default `pairs`. */
  name?: string;
}

/** A stage record of buildPairs: the pair, or why it was dropped. */
export type PairOutcome = { pair: PairRecord } | { dropped: string };

export interface BuiltPairs {
  pairs: PairRecord[];
  /** Dropped instruction ids with the reason (a missing marker, an empty answer). */
  dropped: { id: string; reason: string }[];
}

/**
 * Builds (x, y_w, y_l) pairs once; later iterations reuse them (spec §2.2).
 *
 * @example
 * ```ts
 * const { pairs, dropped } = await buildPairs({ runDir, instructions, generator });
 * ```
 */
export async function buildPairs(options: BuildPairsOptions): Promise<BuiltPairs> {
  const respond = options.templates?.response ?? responseTemplate;
  const worse = options.templates?.worseResponse ?? worseResponseTemplate;
  const s = { temperature: 0.7, topP: 0.9, maxTokens: 2048, ...options.sampling };
  const inputs = options.instructions.map((x) => InstructionSchema.parse(x));
  const g = options.generator;
  const stage = await runStage<Instruction, PairOutcome>({
    runDir: options.runDir,
    name: options.name ?? 'pairs',
    inputs,
    id: (x) => x.id,
    concurrency: options.concurrency,
    progress: options.progress,
    signal: options.signal,
    failFast: true,
    run: async (x) => {
      const yw =
        (await generateOne(g, { ...asRequest(respond(x.prompt)), ...s })).samples[0]?.text.trim() ?? '';
      if (!yw) return { dropped: 'empty-chosen' };
      const reply = (await generateOne(g, { ...asRequest(worse({ prompt: x.prompt, response: yw })), ...s }))
        .samples[0]?.text;
      const parsed = parseWorseResponseDetailed(reply ?? '');
      if (!parsed.ok) return { dropped: parsed.issue };
      return {
        pair: {
          id: x.id,
          prompt: x.prompt,
          chosen: yw,
          rejected: parsed.value.response,
          modified_prompt: parsed.value.modifiedPrompt,
          generator: g.id,
          category: x.category,
        },
      };
    },
  });
  const pairs: PairRecord[] = [];
  const dropped: { id: string; reason: string }[] = [];
  for (const r of stage.records) {
    if ('pair' in r.output) pairs.push(r.output.pair);
    else dropped.push({ id: r.id, reason: r.output.dropped });
  }
  return { pairs, dropped };
}

// ---------------------------------------------------------------- judgments

export interface SampleJudgmentsOptions extends StageCommon {
  pairs: readonly PairRecord[];
  /** M_{i−1} (or G at iteration 1). */
  model: LanguageModel;
  iteration: number;
  /** N judgments per pair and order. Paper: 15 (unverified). */
  samplesPerOrder?: number;
  /** Default both; `['0_1']` is the one-order ablation. */
  orders?: readonly Order[];
  /** Default: temperature 0.7, topP 0.9, maxTokens 4096. */
  sampling?: SamplingOptions;
  template?: PairwiseTemplate;
  /** Pairs per stage record (one generate() call): batch locally, 1 for servers. Default 1. */
  batchSize?: number;
  /** Sampling seed (a seeded request decodes alone on LocalModel; leave unset there for batching). */
  seed?: number;
  /** Stage name. Default `judgments`. */
  name?: string;
}

/** The pairwise input of a pair rendered in `order`. */
export function orderedInput(pair: Pick<PairRecord, 'prompt' | 'chosen' | 'rejected'>, order: Order) {
  return order === '0_1'
    ? { prompt: pair.prompt, responseA: pair.chosen, responseB: pair.rejected }
    : { prompt: pair.prompt, responseA: pair.rejected, responseB: pair.chosen };
}

/** The gold verdict of a pair rendered in `order`. */
export function goldOf(order: Order): 'A' | 'B' {
  return order === '0_1' ? 'A' : 'B';
}

/**
 * Samples N reasoning-then-verdict judgments per pair in each order.
 *
 * @example
 * ```ts
 * const judgments = await sampleJudgments({ runDir: 'run/iter-1', pairs, model: seed, iteration: 1, samplesPerOrder: 15 });
 * ```
 */
export async function sampleJudgments(options: SampleJudgmentsOptions): Promise<JudgmentRecord[]> {
  const orders = options.orders ?? (['0_1', '1_0'] as const);
  const template = options.template ?? judgeTemplate;
  const n = options.samplesPerOrder ?? 15;
  const s = { temperature: 0.7, topP: 0.9, maxTokens: 4096, ...options.sampling };
  const judge = new LMJudge(
    options.model,
    {
      samples: n,
      bothOrders: false,
      temperature: s.temperature,
      topP: s.topP,
      maxTokens: s.maxTokens,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    },
    { pairwise: template },
  );
  const units = options.pairs.flatMap((pair) => orders.map((order) => ({ pair, order })));
  const size = options.batchSize ?? 1;
  const chunks: (typeof units)[] = [];
  for (let i = 0; i < units.length; i += size) chunks.push(units.slice(i, i + size));
  const it = options.iteration;
  const stage = await runStage<typeof units, JudgmentRecord[]>({
    runDir: options.runDir,
    name: options.name ?? 'judgments',
    inputs: chunks,
    id: (c) => c.map((u) => `${u.pair.id}:${u.order}`).join('|'),
    concurrency: options.concurrency,
    progress: options.progress,
    signal: options.signal,
    failFast: true,
    run: async (chunk) => {
      const results = await judge.pairwise(chunk.map((u) => orderedInput(u.pair, u.order)));
      return chunk.flatMap((u, k) => {
        const gold = goldOf(u.order);
        const prompt = template(orderedInput(u.pair, u.order));
        // bothOrders is off, so each sample's verdict is already in this order's A/B frame.
        return results[k]!.samples.map((sample, idx) => {
          const verdict = recordVerdict(sample.verdict);
          return {
            id: `${u.pair.id}:${u.order}:${idx}:it${it}`,
            pair_id: u.pair.id,
            iteration: it,
            order: u.order,
            sample_idx: idx,
            prompt,
            judgment: sample.text,
            verdict,
            gold,
            correct: verdict === gold,
          };
        });
      });
    },
  });
  return stage.records.flatMap((r) => r.output);
}
