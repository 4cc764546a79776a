/**
 * `CoAModel`: Chain-of-Abstraction inference over any LanguageModel (spec
 * §2.5). `answer` decodes an abstract chain, reifies it with the tools and
 * reads the answer. `runPipelined` decodes question i+1 while a pool of
 * consumers reifies question i (a bounded queue between them);
 * `runInterleaved` is the Toolformer-style baseline that stops at every `]`,
 * runs the call, and resumes. Both return timing traces.
 */
import { LabError } from '@lab/core';
import type { GenerateRequestInput, LanguageModel } from '@lab/lm';
import { exactMatch, numericMatch } from '@lab/tasks';
import { z } from 'zod';
import type { TimingRecord, TraceRecord } from '../data/formats.js';
import { type ParseChainOptions, parseChain } from '../parser.js';
import { type Reification, reify } from '../reify.js';
import type { Tool } from '../tools/types.js';
import { BoundedQueue } from './bounded-queue.js';
import { trainingPrompt } from './prompts.js';

/** Settings of a CoAModel; defaults follow the spec. */
export const CoAModelConfigSchema = z.strictObject({
  /** Longest chain decoded, in tokens. */
  maxTokens: z.number().int().positive().default(256),
  /** 0 is greedy. */
  temperature: z.number().min(0).default(0),
  /** Tool calls in flight within one chain. */
  toolConcurrency: z.number().int().positive().default(4),
  /** Pipelined executor: capacity of the queue between decoder and reifiers. */
  queueCapacity: z.number().int().positive().default(8),
  /** Pipelined executor: reifying consumers. */
  consumers: z.number().int().positive().default(4),
  /** Pipelined executor: questions decoded at once (1 for a local model; more against a batching server). */
  decodeConcurrency: z.number().int().positive().default(1),
  /** Simulated latency of each math-tool call in ms (timing experiments). */
  mathLatencyMs: z.number().min(0).default(0),
  toolTimeoutMs: z.number().positive().optional(),
  placeholderPrefix: z.string().min(1).default('y'),
  allowPercent: z.boolean().default(false),
  /** Send `prompt` (raw completion) or `messages` (chat; pipelined mode only). */
  format: z.enum(['prompt', 'chat']).default('prompt'),
  /** Stop strings that end a chain (besides the model's own end). */
  stop: z.array(z.string().min(1)).default([]),
});
export type CoAModelConfig = z.input<typeof CoAModelConfigSchema>;

/** One question to answer; `gold` (optional) marks traces correct or not. */
export interface CoAQuestion {
  id?: string;
  question: string;
  gold?: string | number;
}

/** One answered question, with timing (ms since the run started). */
export interface CoAResult {
  id: string;
  question: string;
  rawOutput: string;
  reification: Reification;
  prediction: string | null;
  correct?: boolean;
  tokens: number;
  decodeMs: number;
  toolMs: number;
  /** From the start of this question's decoding to the end of its reification. */
  latencyMs: number;
  tDecodeStart: number;
  tDecodeEnd: number;
  tReifyStart: number;
  tReifyEnd: number;
}

/** A whole executor run: results in input order, totals, and spec-format records. */
export interface ExecutorRun {
  mode: 'pipelined' | 'interleaved';
  results: CoAResult[];
  totalMs: number;
  meanLatencyMs: number;
  decodeMs: number;
  toolMs: number;
  tokens: number;
  msPerToken: number;
  /** Whether decoding resumed from a KV cache between calls (never, through the LanguageModel interface). */
  kvCache: boolean;
  timing: TimingRecord;
  traces: TraceRecord[];
}

/** A whole answer that is one number (`1,250`, `-3.5`, `1e3`). */
const PLAIN_NUMBER = /^-?(?:\d{1,3}(?:,\d{3})+|\d*)\.?\d+(?:[eE][+-]?\d+)?$/;

function isCorrect(pred: string | null, gold: string | number | undefined): boolean | undefined {
  if (gold === undefined) return undefined;
  if (pred === null) return false;
  // Numeric comparison only when both sides are plain numbers: numericMatch
  // alone would read the 3 out of an unresolved answer such as "y3".
  const numeric =
    PLAIN_NUMBER.test(pred.trim()) && (typeof gold === 'number' || PLAIN_NUMBER.test(gold.trim()));
  if (numeric) return numericMatch(pred, gold, { relTol: 1e-9, absTol: 1e-9 });
  return exactMatch(pred, String(gold));
}

/**
 * Chain-of-Abstraction over a LanguageModel and tools.
 *
 * @example
 * const coa = new CoAModel(model, [bm25SearchTool(docs), entityPickerTool()]);
 * const r = await coa.answer('How many eggs are in 5 boxes of 24?');
 * r.prediction; // '120'
 */
export class CoAModel {
  readonly config: z.output<typeof CoAModelConfigSchema>;
  private readonly parseOptions: ParseChainOptions;

  /**
   * @param model any LanguageModel (local, OpenAI-compatible server, scripted)
   * @param tools tools the chains may call (the math solver is built in)
   * @param config see CoAModelConfigSchema
   * @param prompt question → prompt text (default: the training prompt `Question: …\nAnswer:`)
   */
  constructor(
    readonly model: LanguageModel,
    readonly tools: readonly Tool[] = [],
    config: CoAModelConfig = {},
    readonly prompt: (question: string) => string = trainingPrompt,
  ) {
    this.config = CoAModelConfigSchema.parse(config);
    this.parseOptions = {
      placeholderPrefix: this.config.placeholderPrefix,
      allowPercent: this.config.allowPercent,
    };
  }

  private request(
    question: string,
    extraStop: string[] = [],
    prefix = '',
    maxTokens?: number,
  ): GenerateRequestInput {
    const c = this.config;
    const base = {
      maxTokens: maxTokens ?? c.maxTokens,
      temperature: c.temperature,
      stop: [...c.stop, ...extraStop],
    };
    if (c.format === 'chat' && prefix === '') {
      return { ...base, messages: [{ role: 'user', content: this.prompt(question) }] };
    }
    return { ...base, prompt: this.prompt(question) + prefix };
  }

  /** Decodes one chain. */
  async decode(question: string, signal?: AbortSignal): Promise<{ text: string; tokens: number }> {
    const [r] = await this.model.generate([this.request(question)], { signal });
    const s = r.samples[0];
    return { text: s.text, tokens: s.completionTokens };
  }

  /** Reifies a decoded chain with this model's tools and settings. */
  reify(chain: string, signal?: AbortSignal): Promise<Reification> {
    return reify(chain, {
      tools: this.tools,
      concurrency: this.config.toolConcurrency,
      parse: this.parseOptions,
      mathLatencyMs: this.config.mathLatencyMs,
      toolTimeoutMs: this.config.toolTimeoutMs,
      signal,
    });
  }

  /** Decode, reify, answer: one question. */
  async answer(question: string | CoAQuestion, signal?: AbortSignal): Promise<CoAResult> {
    const q = typeof question === 'string' ? { question } : question;
    const run = await this.runPipelined([q], signal);
    return run.results[0];
  }

  /**
   * The pipelined executor: one producer decodes questions in order
   * (`decodeConcurrency` at a time) into a bounded queue; `consumers` reify
   * from it. Decoding never waits on a tool, only on a full queue.
   */
  async runPipelined(questions: readonly CoAQuestion[], signal?: AbortSignal): Promise<ExecutorRun> {
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const queue = new BoundedQueue<{ i: number; text: string; tokens: number; ds: number; de: number }>(
      this.config.queueCapacity,
    );
    const results: CoAResult[] = new Array(questions.length);
    let next = 0;
    const producer = async (): Promise<void> => {
      for (let i = next++; i < questions.length; i = next++) {
        const ds = now();
        const { text, tokens } = await this.decode(questions[i].question, signal);
        await queue.push({ i, text, tokens, ds, de: now() });
      }
    };
    const consumer = async (): Promise<void> => {
      for (let item = await queue.pop(); item; item = await queue.pop()) {
        const rs = now();
        const r = await this.reify(item.text, signal);
        const re = now();
        const q = questions[item.i];
        results[item.i] = {
          id: q.id ?? String(item.i),
          question: q.question,
          rawOutput: item.text,
          reification: r,
          prediction: r.answer,
          correct: isCorrect(r.answer, q.gold),
          tokens: item.tokens,
          decodeMs: item.de - item.ds,
          toolMs: r.toolMs,
          latencyMs: re - item.ds,
          tDecodeStart: item.ds,
          tDecodeEnd: item.de,
          tReifyStart: rs,
          tReifyEnd: re,
        };
      }
    };
    const consumers = Array.from({ length: this.config.consumers }, consumer);
    try {
      await Promise.all(Array.from({ length: this.config.decodeConcurrency }, producer));
    } finally {
      queue.close();
    }
    await Promise.all(consumers);
    return this.summarize('pipelined', results, performance.now() - t0, false);
  }

  /**
   * The interleaved baseline (Toolformer-style): decode with `stop: ["]"]`;
   * at each stop run the call that just closed, wait for it, and resume
   * decoding from the prompt plus the text so far. One question at a time.
   */
  async runInterleaved(questions: readonly CoAQuestion[], signal?: AbortSignal): Promise<ExecutorRun> {
    if (this.config.format === 'chat') {
      throw new LabError('COA_UNSUPPORTED', 'runInterleaved resumes raw prompts: use format "prompt"', {
        format: this.config.format,
      });
    }
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const results: CoAResult[] = [];
    for (let i = 0; i < questions.length; i++) {
      const q = questions[i];
      const ds = now();
      let text = '';
      let tokens = 0;
      let decodeMs = 0;
      let toolMs = 0;
      // Values of tool calls already run, so the final reification does not call them again.
      const memo = new Map<string, string | number>();
      const memoTools: Tool[] = this.tools.map((t) => ({
        name: t.name,
        call: async (arg, option, sig, ctx) => {
          const key = `${ctx?.callId}`;
          if (memo.has(key)) return memo.get(key)!;
          const v = await t.call(arg, option, sig, ctx);
          memo.set(key, v);
          return v;
        },
      }));
      for (let round = 0; tokens < this.config.maxTokens && round < 1000; round++) {
        const d0 = performance.now();
        const [r] = await this.model.generate(
          [this.request(q.question, [']'], text, this.config.maxTokens - tokens)],
          { signal },
        );
        decodeMs += performance.now() - d0;
        const s = r.samples[0];
        text += s.text;
        tokens += s.completionTokens;
        const open = text.lastIndexOf('[');
        if (!(s.finishReason === 'stop' && open > text.lastIndexOf(']'))) break;
        text += ']';
        // Run the call that just closed, blocking decoding meanwhile.
        const parsed = parseChain(text, this.parseOptions);
        const call = parsed.calls.find((c) => c.span[1] === text.length);
        if (!call) continue;
        const c0 = performance.now();
        if (call.kind === 'tool') {
          // Runs the ready tool calls of the text so far; memoised ones are not called again.
          await reify(parsed, {
            tools: memoTools,
            concurrency: 1,
            parse: this.parseOptions,
            toolTimeoutMs: this.config.toolTimeoutMs,
            signal,
          });
        } else if (this.config.mathLatencyMs > 0) {
          await new Promise((res) => setTimeout(res, this.config.mathLatencyMs));
        }
        toolMs += performance.now() - c0;
      }
      const de = now();
      const rs = now();
      const r = await reify(text, { tools: memoTools, concurrency: 1, parse: this.parseOptions, signal });
      const re = now();
      results.push({
        id: q.id ?? String(i),
        question: q.question,
        rawOutput: text,
        reification: r,
        prediction: r.answer,
        correct: isCorrect(r.answer, q.gold),
        tokens,
        decodeMs,
        toolMs,
        latencyMs: re - ds,
        tDecodeStart: ds,
        tDecodeEnd: de,
        tReifyStart: rs,
        tReifyEnd: re,
      });
    }
    return this.summarize('interleaved', results, performance.now() - t0, false);
  }

  private summarize(
    mode: ExecutorRun['mode'],
    results: CoAResult[],
    totalMs: number,
    kvCache: boolean,
  ): ExecutorRun {
    const sum = (f: (r: CoAResult) => number) => results.reduce((a, r) => a + f(r), 0);
    const tokens = sum((r) => r.tokens);
    const decodeMs = sum((r) => r.decodeMs);
    const toolMs = sum((r) => r.toolMs);
    const meanLatencyMs = results.length ? sum((r) => r.latencyMs) / results.length : 0;
    const msPerToken = tokens ? decodeMs / tokens : 0;
    const timing: TimingRecord = {
      mode,
      n: results.length,
      total_ms: totalMs,
      mean_latency_ms: meanLatencyMs,
      tool_latency_ms: this.config.mathLatencyMs,
      ms_per_token: msPerToken,
      kv_cache: kvCache,
    };
    const traces: TraceRecord[] = results.map((r) => ({
      id: r.id,
      mode: mode === 'interleaved' ? 'interleaved' : 'coa',
      raw_output: r.rawOutput,
      calls: r.reification.calls.map((c) => ({
        var: c.defines.join(','),
        kind: c.kind,
        ...(c.tool ? { tool: c.tool } : {}),
        arg: c.arg ?? r.reification.chain.calls.find((x) => x.id === c.id)?.text ?? '',
        level: c.level,
        ...(c.value !== undefined ? { value: c.value } : {}),
        ...(c.error ? { error: c.error } : {}),
        t_start_ms: c.tStartMs ?? 0,
        t_end_ms: c.tEndMs ?? 0,
      })),
      prediction: r.prediction,
      ...(r.correct !== undefined ? { correct: r.correct } : {}),
      decode_ms: r.decodeMs,
      tool_ms: r.toolMs,
      wall_ms: r.latencyMs,
    }));
    return {
      mode,
      results,
      totalMs,
      meanLatencyMs,
      decodeMs,
      toolMs,
      tokens,
      msPerToken,
      kvCache,
      timing,
      traces,
    };
  }
}
