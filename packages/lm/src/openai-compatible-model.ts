/**
 * OpenAICompatibleModel: a LanguageModel over any server speaking the OpenAI
 * HTTP API (vLLM, llama.cpp server, Ollama, TGI, hosted APIs), using global
 * fetch. Chat requests go to /chat/completions, raw prompts to /completions.
 *
 * Reliability: at most `concurrency` HTTP calls in flight; each attempt has its
 * own timeout; 429, 5xx, timeouts and network errors are retried with
 * exponential backoff and jitter (the server's Retry-After wins when given);
 * other 4xx and malformed bodies fail at once with a LabError naming the
 * request. A server that returns fewer than `n` choices (Ollama ignores `n`) is
 * asked again, in parallel, with distinct seeds until `n` samples exist.
 */
import { LabError } from '@lab/core';
import pLimit, { type LimitFunction } from 'p-limit';
import { z } from 'zod';
import {
  fromWireChat,
  fromWireCompletion,
  toWireChat,
  toWireCompletion,
  WireChatResponseSchema,
  WireCompletionResponseSchema,
} from './openai-wire.js';
import { backoffDelay, retryAfterMs, sleep } from './retry.js';
import {
  type ContinuationLogProbs,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateRequestInput,
  type GenerateResult,
  type LanguageModel,
  parseRequests,
  type Sample,
} from './types.js';

export const OpenAICompatibleConfigSchema = z.strictObject({
  /** Base URL including the API prefix, e.g. `http://localhost:8000/v1`. */
  baseURL: z.string().url(),
  /** Model name sent in every request. */
  model: z.string().min(1),
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: z.string().optional(),
  /** `auto`: messages → chat/completions, prompt → completions. */
  endpoint: z.enum(['auto', 'chat', 'completions']).default('auto'),
  /** Most HTTP calls in flight at once. */
  concurrency: z.int().min(1).max(4096).default(8),
  /** Per attempt, from sending the request to reading the whole body. */
  timeoutMs: z.int().min(1).default(120_000),
  /** Retries after the first attempt (429, 5xx, timeouts, network errors). */
  maxRetries: z.int().min(0).default(5),
  backoff: z
    .strictObject({
      initialMs: z.number().min(0).default(500),
      maxMs: z.number().min(0).default(30_000),
      factor: z.number().min(1).default(2),
    })
    .default({ initialMs: 500, maxMs: 30_000, factor: 2 }),
  /** Longest Retry-After honoured; longer requests wait this long. */
  maxRetryAfterMs: z.number().min(0).default(120_000),
  /** `top_k` is non-standard: send it only to servers that accept it (vLLM, llama.cpp). */
  sendTopK: z.boolean().default(false),
  /** Extra headers on every request. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Identity in cache keys; default `openai:<baseURL>#<model>`. */
  id: z.string().optional(),
});
export type OpenAICompatibleConfig = z.infer<typeof OpenAICompatibleConfigSchema>;
export type OpenAICompatibleConfigInput = z.input<typeof OpenAICompatibleConfigSchema>;

/** Counters for tests and benchmarks. */
export interface ClientStats {
  /** HTTP attempts made (retries included). */
  attempts: number;
  retries: number;
  /** Requests that ended in an error. */
  failures: number;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; reason: string; code: string; waitMs: number | null };

interface CallResult {
  samples: Sample[];
  promptTokens: number;
}

/**
 * @example
 * ```ts
 * const model = new OpenAICompatibleModel({ baseURL: 'http://localhost:8000/v1', model: 'Qwen/Qwen2.5-7B-Instruct' });
 * const [r] = await model.generate([{ messages: [{ role: 'user', content: 'Hello' }], n: 4, temperature: 0.7 }]);
 * ```
 */
export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  readonly config: OpenAICompatibleConfig;
  readonly stats: ClientStats = { attempts: 0, retries: 0, failures: 0 };
  private readonly limit: LimitFunction;
  private readonly base: string;
  /** Choices per call the server actually returns, learned from the first short answer. */
  private choiceCap = Number.POSITIVE_INFINITY;
  private warnedTopK = false;

  constructor(config: OpenAICompatibleConfigInput) {
    const parsed = OpenAICompatibleConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new LabError(
        'LM_INVALID_CONFIG',
        `OpenAICompatibleModel config:\n${z.prettifyError(parsed.error)}`,
        {
          issues: parsed.error.issues,
        },
      );
    }
    this.config = parsed.data;
    this.base = this.config.baseURL.replace(/\/+$/, '');
    this.id = this.config.id ?? `openai:${this.base}#${this.config.model}`;
    this.limit = pLimit(this.config.concurrency);
  }

  async generate(
    requests: readonly GenerateRequestInput[],
    options?: GenerateOptions,
  ): Promise<GenerateResult[]> {
    const parsed = parseRequests(requests);
    for (const [i, r] of parsed.entries()) this.checkEndpoint(r, i);
    // One failure aborts the batch's other calls instead of leaving them running.
    const local = new AbortController();
    const signal = options?.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
    try {
      return await Promise.all(parsed.map((r, i) => this.generateOne(r, i, signal)));
    } catch (err) {
      local.abort(err);
      throw err;
    }
  }

  /**
   * Scores `continuation` after `prompt` through /completions with `echo` and
   * `logprobs` (vLLM, llama.cpp and serveOpenAI support it; chat-only APIs do
   * not). The text is tokenized whole; tokens starting inside the continuation count.
   */
  async logProbs(
    prompt: string,
    continuation: string,
    options?: GenerateOptions,
  ): Promise<ContinuationLogProbs> {
    const full = prompt + continuation;
    const what = `logProbs (prompt ${prompt.length} chars, continuation ${continuation.length} chars)`;
    const body = {
      model: this.config.model,
      prompt: full,
      echo: true,
      logprobs: 0,
      max_tokens: 1,
      temperature: 0,
    };
    const json = await this.post('/completions', body, what, options?.signal);
    const parsed = WireCompletionResponseSchema.safeParse(json);
    if (!parsed.success || !parsed.data.choices[0]?.logprobs) {
      throw new LabError(
        'LM_UNSUPPORTED',
        `${what}: the server returned no echoed logprobs; it cannot score continuations`,
        {
          url: `${this.base}/completions`,
        },
      );
    }
    const lp = parsed.data.choices[0].logprobs;
    const tokens: string[] = [];
    const logprobs: number[] = [];
    let at = 0;
    lp.tokens.forEach((token, k) => {
      const offset = lp.text_offset?.[k] ?? at;
      at = offset + token.length;
      if (offset >= prompt.length && offset < full.length) {
        tokens.push(token);
        logprobs.push(lp.token_logprobs[k] ?? 0);
      }
    });
    return { tokens, logprobs, total: logprobs.reduce((a, b) => a + b, 0) };
  }

  /**
   * Asks the server what it supports, one small request each: token logprobs
   * on generated text, and scoring given text (`echo`), which logProbs needs.
   * Methods that can fall back (pathfinder's verifier scoring) call this at start-up.
   */
  async probe(options?: GenerateOptions): Promise<{ tokenLogprobs: boolean; scoring: boolean }> {
    const tokenLogprobs = await this.generate(
      [{ prompt: 'Hello', maxTokens: 1, temperature: 0, logprobs: true }],
      options,
    )
      .then(([r]) => (r?.samples[0]?.logprobs?.length ?? 0) > 0)
      .catch(() => false);
    const scoring = await this.logProbs('Hello', ' world', options)
      .then((r) => r.tokens.length > 0 && r.logprobs.every(Number.isFinite))
      .catch(() => false);
    return { tokenLogprobs, scoring };
  }

  /** The model ids the server lists at GET /models. */
  async listModels(options?: GenerateOptions): Promise<string[]> {
    const json = (await this.request('GET', '/models', undefined, 'listModels', options?.signal)) as {
      data?: { id?: unknown }[];
    };
    if (!Array.isArray(json?.data)) {
      throw new LabError(
        'LM_MALFORMED_RESPONSE',
        `listModels: ${this.base}/models returned no \`data\` list`,
        {},
      );
    }
    return json.data.map((m) => String(m.id));
  }

  private checkEndpoint(r: GenerateRequest, index: number): void {
    const mode = this.config.endpoint;
    if ((mode === 'chat' && r.prompt !== undefined) || (mode === 'completions' && r.messages !== undefined)) {
      throw new LabError(
        'LM_INVALID_REQUEST',
        `request #${index}${r.id ? ` (id ${r.id})` : ''} has ${r.prompt !== undefined ? 'a raw prompt' : 'chat messages'} but this model is configured for endpoint "${mode}"`,
        { index, id: r.id },
      );
    }
    if (r.topK !== undefined && !this.config.sendTopK && !this.warnedTopK) {
      this.warnedTopK = true;
      console.warn(
        `[@lab/lm] ${this.id}: dropping top_k (non-standard); set sendTopK for vLLM or llama.cpp servers`,
      );
    }
  }

  private describe(r: GenerateRequest, index: number): string {
    return `request #${index}${r.id ? ` (id ${r.id})` : ''} to model ${this.config.model}`;
  }

  private async generateOne(r: GenerateRequest, index: number, signal: AbortSignal): Promise<GenerateResult> {
    const what = this.describe(r, index);
    try {
      const first = await this.call(r, Math.min(r.n, this.choiceCap), r.seed, what, signal);
      const samples = first.samples.slice(0, r.n);
      let promptTokens = first.promptTokens;
      if (samples.length === 0) {
        throw new LabError('LM_MALFORMED_RESPONSE', `${what}: the server returned no choices`, {
          index,
          id: r.id,
        });
      }
      if (samples.length < r.n) {
        // The server caps choices per call: ask for the rest in parallel, each
        // call with its own seed so a seeded server does not repeat itself.
        const cap = samples.length;
        if (cap < this.choiceCap) this.choiceCap = cap;
        const calls: Promise<CallResult>[] = [];
        for (let start = samples.length; start < r.n; start += cap) {
          const count = Math.min(cap, r.n - start);
          calls.push(this.call(r, count, r.seed !== undefined ? r.seed + start : undefined, what, signal));
        }
        for (const more of await Promise.all(calls)) {
          if (more.samples.length === 0) {
            throw new LabError('LM_MALFORMED_RESPONSE', `${what}: the server returned no choices`, {
              index,
              id: r.id,
            });
          }
          samples.push(...more.samples);
          promptTokens = more.promptTokens;
        }
        samples.length = Math.min(samples.length, r.n);
        // A server that returned even fewer on a later call: top up one at a time.
        while (samples.length < r.n) {
          const more = await this.call(
            r,
            1,
            r.seed !== undefined ? r.seed + samples.length : undefined,
            what,
            signal,
          );
          if (!more.samples.length)
            throw new LabError('LM_MALFORMED_RESPONSE', `${what}: no choices`, { index });
          samples.push(more.samples[0]!);
        }
      }
      return { ...(r.id !== undefined ? { id: r.id } : {}), model: this.config.model, samples, promptTokens };
    } catch (err) {
      this.stats.failures++;
      throw err;
    }
  }

  private async call(
    r: GenerateRequest,
    n: number,
    seed: number | undefined,
    what: string,
    signal: AbortSignal,
  ): Promise<CallResult> {
    const chat = r.messages !== undefined;
    const body = chat
      ? toWireChat(r, this.config.model, n, seed, this.config.sendTopK)
      : toWireCompletion(r, this.config.model, n, seed, this.config.sendTopK);
    const json = await this.post(chat ? '/chat/completions' : '/completions', body, what, signal);
    const parsed = chat
      ? WireChatResponseSchema.safeParse(json)
      : WireCompletionResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new LabError(
        'LM_MALFORMED_RESPONSE',
        `${what}: the response does not have the OpenAI shape:\n${z.prettifyError(parsed.error)}`,
        { body: JSON.stringify(json).slice(0, 500) },
      );
    }
    const samples = chat
      ? fromWireChat(parsed.data as z.infer<typeof WireChatResponseSchema>)
      : fromWireCompletion(parsed.data as z.infer<typeof WireCompletionResponseSchema>);
    const usage = parsed.data.usage;
    // Without logprobs, servers report completion tokens only in total.
    if (
      usage?.completion_tokens != null &&
      samples.length &&
      samples.every((s) => s.logprobs === undefined)
    ) {
      const each = usage.completion_tokens / samples.length;
      for (const s of samples) s.completionTokens = Math.round(each);
    }
    return { samples, promptTokens: usage?.prompt_tokens ?? 0 };
  }

  private post(path: string, body: unknown, what: string, signal?: AbortSignal): Promise<unknown> {
    return this.request('POST', path, body, what, signal);
  }

  /** One logical request: attempts under the limiter, backoff sleeps outside it. */
  private async request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    what: string,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const url = `${this.base}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { maxRetries, backoff, maxRetryAfterMs } = this.config;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const outcome = await this.limit(() => this.attempt(method, url, payload, what, signal));
      if (outcome.ok) return outcome.value;
      if (attempt >= maxRetries) {
        throw new LabError(
          outcome.code,
          `${what}: ${method} ${url} failed after ${attempt + 1} attempt(s); last error: ${outcome.reason}`,
          { url, attempts: attempt + 1 },
        );
      }
      this.stats.retries++;
      const wait =
        outcome.waitMs !== null ? Math.min(outcome.waitMs, maxRetryAfterMs) : backoffDelay(attempt, backoff);
      await sleep(wait, signal);
    }
  }

  private async attempt(
    method: string,
    url: string,
    payload: string | undefined,
    what: string,
    signal?: AbortSignal,
  ): Promise<Attempt<unknown>> {
    signal?.throwIfAborted();
    this.stats.attempts++;
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...this.config.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    let status: number;
    let text: string;
    let responseHeaders: Headers;
    try {
      const res = await fetch(url, { method, headers, body: payload, signal: combined });
      status = res.status;
      responseHeaders = res.headers;
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      if (timeout.aborted) {
        return {
          ok: false,
          code: 'LM_TIMEOUT',
          reason: `no complete answer within ${this.config.timeoutMs} ms`,
          waitMs: null,
        };
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return {
        ok: false,
        code: 'LM_NETWORK_ERROR',
        reason: `network error: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        waitMs: null,
      };
    }
    if (status === 429 || status >= 500) {
      return {
        ok: false,
        code: 'LM_HTTP_ERROR',
        reason: `HTTP ${status}: ${errorMessage(text)}`,
        waitMs: retryAfterMs(responseHeaders),
      };
    }
    if (status < 200 || status >= 300) {
      throw new LabError(
        'LM_HTTP_ERROR',
        `${what}: ${method} ${url} answered HTTP ${status}: ${errorMessage(text)}`,
        {
          url,
          status,
          body: text.slice(0, 2000),
        },
      );
    }
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      throw new LabError(
        'LM_MALFORMED_RESPONSE',
        `${what}: ${method} ${url} answered HTTP ${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
        { url, status, body: text.slice(0, 2000) },
      );
    }
  }
}

/** The server's error message from an OpenAI-shaped error body, else the raw text (clipped). */
function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (j.error && typeof j.error.message === 'string') return j.error.message;
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || '(empty body)';
}
