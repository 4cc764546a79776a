/**
 * Autoregressive decoding over any CausalLM: a KV-cached path (prefill the
 * prompts, then one token per step) and an uncached path that recomputes the
 * whole prefix each step (slow; the reference the cached path is tested
 * against). Prompts of different lengths are left-padded and masked; each row
 * stops on its own. Optionally a second stream (another prompt per row, and
 * optionally another model) runs in lockstep and a TwoStreamProcessor merges
 * the two streams' logits (classifier-free guidance, contrastive decoding).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../data/rng.js';
import { LabError } from '../errors.js';
import type { CausalLM, KVCache } from '../model/types.js';
import { LogitsProcessorList } from './processor-list.js';
import { RepetitionPenaltyProcessor } from './repetition-penalty.js';
import { argmaxRow, sampleRow } from './sampling.js';
import { TemperatureProcessor } from './temperature.js';
import { TopKProcessor } from './top-k.js';
import { TopPProcessor } from './top-p.js';
import type {
  InputIds,
  LogitsProcessor,
  LogitsProcessorFn,
  MultiStreamProcessor,
  TwoStreamProcessor,
} from './types.js';

export const GenerateConfigSchema = z.strictObject({
  /** Tokens to generate per row at most. */
  maxNewTokens: z.number().int().positive().default(32),
  /** Sample from the processed distribution; false picks the argmax (greedy). */
  doSample: z.boolean().default(false),
  /** Added as processors after `processors`, in this order: repetition penalty, temperature, top-k, top-p. */
  repetitionPenalty: z.number().positive().optional(),
  temperature: z.number().positive().optional(),
  topK: z.number().int().positive().optional(),
  topP: z.number().gt(0).lte(1).optional(),
  /** A row ends when it produces one of these (the stop token is not part of `tokens`). */
  stopTokens: z.array(z.number().int().nonnegative()).default([]),
  /** Token id placed in left padding (masked out, so any valid id works). */
  padToken: z.number().int().nonnegative().default(0),
  /** Seed of the sampling PRNG; row r draws from its own stream, fork r of this seed. */
  seed: z.number().int().default(0),
  /**
   * One seed per row instead (row r draws from fork 0 of seeds[r]): a row then
   * samples what it would alone with `seed: seeds[r]`, whatever else is in the batch.
   */
  seeds: z.array(z.number().int()).optional(),
  /** Use the KV cache (true) or recompute the full prefix every step (false). */
  useCache: z.boolean().default(true),
  /** Return the primary stream's raw next-token logits of every step. */
  returnLogits: z.boolean().default(false),
});
export type GenerateConfig = z.infer<typeof GenerateConfigSchema>;

/** A second stream decoded in lockstep with the prompts. */
export interface GuidanceOptions {
  /** One prompt per primary prompt (e.g. with the condition masked out). */
  prompts: readonly (readonly number[])[];
  /** The second stream's model (an amateur for contrastive decoding). Default: the same model, in the same batch. */
  model?: CausalLM;
  /** Merges primary and secondary logits before the processor list. */
  combine: TwoStreamProcessor;
}

/** Any number of extra streams decoded in lockstep (e.g. CFG with a text and an image condition). */
export interface MultiStreamGuidanceOptions {
  /** Each with one prompt per primary prompt; a stream without `model` uses the primary model, in one batch. */
  streams: readonly { prompts: readonly (readonly number[])[]; model?: CausalLM }[];
  /** Merges [primary, ...streams] logits before the processor list. */
  combine: MultiStreamProcessor;
}

export interface GenerateOptions extends z.input<typeof GenerateConfigSchema> {
  /** Applied in order to the (merged) logits before the built-in ones. */
  processors?: readonly (LogitsProcessor | LogitsProcessorFn)[];
  guidance?: GuidanceOptions | MultiStreamGuidanceOptions;
  /** Called after each step with the token chosen per row (null for rows already finished). */
  onStep?: (step: number, tokens: (number | null)[]) => void;
}

export interface GenerateResult {
  /** Generated tokens per row (without the stop token). */
  tokens: number[][];
  /** Prompt followed by the generated tokens, per row. */
  sequences: number[][];
  /** 'stop' when a stop token ended the row, 'length' when maxNewTokens did. */
  finishReasons: ('stop' | 'length')[];
  /** With returnLogits: per step, the primary stream's raw logits [batch * vocab], row-major. */
  logits?: Float32Array[];
}

/** One model and the rows it decodes: the rows of every stream that runs on it, in one batch. */
class Group {
  readonly rows: number[][];
  private readonly mask: number[][];
  private cache: KVCache | null = null;
  private fed = 0;
  private readonly hasPadding: boolean;

  constructor(
    readonly model: CausalLM,
    prompts: readonly (readonly number[])[],
    private readonly padToken: number,
    private readonly useCache: boolean,
  ) {
    this.rows = prompts.map((p) => [...p]);
    const width = Math.max(...prompts.map((p) => p.length));
    this.mask = prompts.map((p) => [...new Array(width - p.length).fill(0), ...new Array(p.length).fill(1)]);
    this.hasPadding = prompts.some((p) => p.length !== width);
  }

  /** Next-token logits of every row after the tokens so far: [rows, vocab]. */
  next(): tf.Tensor2D {
    const n = this.rows.length;
    const total = this.mask[0]!.length;
    const start = this.useCache ? this.fed : 0;
    const len = total - start;
    const tokenData = new Int32Array(n * len);
    for (let r = 0; r < n; r++) {
      const pad = total - this.rows[r]!.length;
      for (let j = 0; j < len; j++) {
        const pos = start + j;
        tokenData[r * len + j] = pos < pad ? this.padToken : this.rows[r]![pos - pad]!;
      }
    }
    if (this.useCache && !this.cache) this.cache = this.model.createCache(n);
    const out = tf.tidy(() => {
      const tokens = tf.tensor2d(tokenData, [n, len], 'int32'); // [rows, len]
      const attentionMask = this.hasPadding
        ? tf.tensor2d(Float32Array.from(this.mask.flat()), [n, total]) // [rows, cacheLength + len]
        : undefined;
      const { logits, auxLoss } = this.model.forward(tokens, {
        ...(this.cache ? { cache: this.cache } : {}),
        ...(attentionMask ? { attentionMask } : {}),
      });
      auxLoss?.dispose();
      const vocab = logits.shape[2];
      return tf.reshape(tf.slice(logits, [0, len - 1, 0], [n, 1, vocab]), [n, vocab]) as tf.Tensor2D; // [rows, vocab]
    });
    this.fed = total;
    return out;
  }

  /** Appends one token per output row: every stream's row b gets tokens[b]. */
  append(tokens: readonly number[]): void {
    this.rows.forEach((row, r) => {
      row.push(tokens[r % tokens.length]!);
    });
    for (const m of this.mask) m.push(1);
  }

  dispose(): void {
    this.cache?.dispose();
    this.cache = null;
  }
}

function checkPrompts(
  name: string,
  prompts: readonly (readonly number[])[],
  model: CausalLM,
  maxNew: number,
): void {
  if (prompts.length === 0) throw new LabError('GENERATE_NO_PROMPTS', `${name}: no prompts`);
  prompts.forEach((p, row) => {
    if (p.length === 0)
      throw new LabError('GENERATE_EMPTY_PROMPT', `${name}: prompt ${row} is empty`, { row });
    p.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= model.vocabSize) {
        throw new LabError(
          'GENERATE_TOKEN_RANGE',
          `${name}: prompt ${row} position ${i} is ${t}, outside [0, ${model.vocabSize})`,
          { row, position: i, token: t },
        );
      }
    });
  });
  const longest = Math.max(...prompts.map((p) => p.length));
  if (longest + maxNew - 1 > model.maxSeqLen) {
    throw new LabError(
      'GENERATE_TOO_LONG',
      `${name}: padded prompt length ${longest} + ${maxNew} new tokens exceeds the model's maxSeqLen ${model.maxSeqLen}`,
      { promptLength: longest, maxNewTokens: maxNew, maxSeqLen: model.maxSeqLen },
    );
  }
}

function withEval<T>(models: CausalLM[], fn: () => Promise<T>): Promise<T> {
  const states = models.map((m) => (m as unknown as { training?: unknown }).training);
  for (const m of models) m.eval();
  return fn().finally(() => {
    models.forEach((m, i) => {
      if (typeof states[i] === 'boolean') m.train(states[i]);
    });
  });
}

/**
 * Generates up to `maxNewTokens` tokens after each prompt.
 *
 * @param prompts Token ids per row; rows may differ in length (they are left-padded).
 * @example
 * const { tokens } = await generate(model, [tokenizer.encode('Once')], {
 *   maxNewTokens: 50, doSample: true, temperature: 0.8, topP: 0.9, seed: 1, stopTokens: [eos],
 * });
 */
export async function generate(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const { processors = [], guidance, onStep, ...rest } = options;
  const config = GenerateConfigSchema.parse(rest);
  const batch = prompts.length;
  checkPrompts('prompts', prompts, model, config.maxNewTokens);
  // Every stream as { model, prompts }, the primary first.
  const extra = !guidance
    ? []
    : 'streams' in guidance
      ? guidance.streams
      : [{ prompts: guidance.prompts, model: guidance.model }];
  const combine: ((ids: InputIds[], logits: tf.Tensor2D[]) => tf.Tensor2D) | null = !guidance
    ? null
    : 'streams' in guidance
      ? (ids, logits) => guidance.combine.combine(ids, logits)
      : (ids, logits) => guidance.combine.combine(ids[0]!, logits[0]!, logits[1]!, ids[1]!);
  const specs = [{ prompts, model }, ...extra.map((e) => ({ prompts: e.prompts, model: e.model ?? model }))];
  specs.slice(1).forEach((spec, i) => {
    const name = `guidance stream ${i + 1}`;
    if (spec.prompts.length !== batch) {
      throw new LabError(
        'GENERATE_GUIDANCE',
        `${name} has ${spec.prompts.length} prompts for ${batch} primary prompts`,
        { stream: i + 1, primary: batch, secondary: spec.prompts.length },
      );
    }
    if (spec.model.vocabSize !== model.vocabSize) {
      throw new LabError(
        'GENERATE_GUIDANCE',
        `${name}: model vocabulary ${spec.model.vocabSize} != ${model.vocabSize}`,
        { stream: i + 1 },
      );
    }
    checkPrompts(name, spec.prompts, spec.model, config.maxNewTokens);
  });
  const chain = new LogitsProcessorList(processors);
  if (config.repetitionPenalty !== undefined)
    chain.push(new RepetitionPenaltyProcessor(config.repetitionPenalty));
  if (config.temperature !== undefined) chain.push(new TemperatureProcessor(config.temperature));
  if (config.topK !== undefined) chain.push(new TopKProcessor(config.topK));
  if (config.topP !== undefined) chain.push(new TopPProcessor(config.topP));

  // Streams of the same model share one batch (fewer kernel launches): one
  // Group per distinct model, each stream a block of `batch` rows in it.
  const groups: Group[] = [];
  const where: { group: Group; offset: number }[] = [];
  const byModel = new Map<CausalLM, { prompts: (readonly number[])[]; streams: number[] }>();
  specs.forEach((spec, i) => {
    const entry = byModel.get(spec.model) ?? { prompts: [], streams: [] };
    entry.prompts.push(...spec.prompts);
    entry.streams.push(i);
    byModel.set(spec.model, entry);
  });
  for (const [m, entry] of byModel) {
    checkPrompts('streams batched together', entry.prompts, m, config.maxNewTokens);
    const group = new Group(m, entry.prompts, config.padToken, config.useCache);
    groups.push(group);
    entry.streams.forEach((s, k) => {
      where[s] = { group, offset: k * batch };
    });
  }
  const models = [...byModel.keys()];
  if (config.seeds && config.seeds.length !== batch) {
    throw new LabError('GENERATE_CONFIG', `seeds has ${config.seeds.length} entries for ${batch} prompts`, {
      seeds: config.seeds.length,
      prompts: batch,
    });
  }
  const root = new Rng(config.seed);
  const rands = prompts.map((_, r) => {
    const rng = config.seeds ? new Rng(config.seeds[r]!).fork(0) : root.fork(r);
    return () => rng.nextFloat();
  });
  const stops = new Set(config.stopTokens);
  const tokens: number[][] = prompts.map(() => []);
  const finishReasons: ('stop' | 'length')[] = prompts.map(() => 'length');
  const done = prompts.map(() => false);
  const allLogits: Float32Array[] = [];

  try {
    await withEval(models, async () => {
      for (let step = 0; step < config.maxNewTokens; step++) {
        const ids: InputIds[] = where.map(({ group, offset }) => group.rows.slice(offset, offset + batch));
        const raw: { logits: Float32Array | null } = { logits: null };
        const merged = tf.tidy(() => {
          const outs = groups.map((g) => g.next()); // per group [rows, vocab]
          const streamLogits = where.map(({ group, offset }) => {
            const all = outs[groups.indexOf(group)]!;
            const vocab = all.shape[1];
            return all.shape[0] === batch ? all : (tf.slice(all, [offset, 0], [batch, vocab]) as tf.Tensor2D); // [batch, vocab]
          });
          if (config.returnLogits) raw.logits = streamLogits[0]!.dataSync().slice() as Float32Array;
          const logits = combine ? combine(ids, streamLogits) : streamLogits[0]!;
          return chain.process(ids[0]!, logits);
        });
        const vocab = merged.shape[1];
        const data = (await merged.data()) as Float32Array;
        merged.dispose();
        if (raw.logits) allLogits.push(raw.logits);
        const chosen: (number | null)[] = [];
        const next: number[] = [];
        for (let r = 0; r < batch; r++) {
          if (done[r]) {
            chosen.push(null);
            next.push(config.padToken);
            continue;
          }
          const t = config.doSample
            ? sampleRow(data, r * vocab, vocab, rands[r]!)
            : argmaxRow(data, r * vocab, vocab);
          chosen.push(t);
          next.push(t);
          if (stops.has(t)) {
            done[r] = true;
            finishReasons[r] = 'stop';
          } else {
            tokens[r]!.push(t);
          }
        }
        onStep?.(step, chosen);
        if (done.every(Boolean) || step === config.maxNewTokens - 1) break;
        for (const g of groups) g.append(next);
      }
    });
  } finally {
    for (const g of groups) g.dispose();
  }
  return {
    tokens,
    sequences: prompts.map((p, r) => [...p, ...tokens[r]!]),
    finishReasons,
    ...(config.returnLogits ? { logits: allLogits } : {}),
  };
}
