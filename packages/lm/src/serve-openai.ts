/**
 * serveOpenAI: any LanguageModel behind an OpenAI-compatible HTTP server
 * (node:http, no framework), so local models plug into tools that speak that
 * API and OpenAICompatibleModel can be tested against a real server.
 *
 * Routes: GET /v1/models, POST /v1/chat/completions, POST /v1/completions
 * (string or list prompt, legacy logprobs, echo). `stream: true` answers in the
 * SSE format, with each choice's whole text in one chunk (the model is not
 * incremental). Errors use the OpenAI shape `{error: {message, type, param, code}}`.
 *
 * Requests that arrive while the model is busy are batched into its next
 * generate() call, so a batched local model serves concurrent clients together.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabError } from '@lab/core';
import { z } from 'zod';
import {
  WireChatRequestSchema,
  type WireCompletionRequest,
  WireCompletionRequestSchema,
  wireError,
} from './openai-wire.js';
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResult,
  type LanguageModel,
  type Sample,
} from './types.js';

export const ServeOpenAIOptionsSchema = z.strictObject({
  /** 0 picks a free port. */
  port: z.int().min(0).max(65535).default(8000),
  host: z.string().default('127.0.0.1'),
  /** Name served in /v1/models and accepted in `model`; default the model's id. */
  modelName: z.string().optional(),
  /** When set, requests must send `Authorization: Bearer <apiKey>`. */
  apiKey: z.string().optional(),
  /** Used when a request omits max_tokens. */
  defaultMaxTokens: z.int().min(1).default(256),
  /** Most requests passed to one generate() call. */
  maxBatch: z.int().min(1).default(64),
  /** Largest accepted body (images arrive base64-encoded). */
  maxBodyBytes: z
    .int()
    .min(1)
    .default(32 * 1024 * 1024),
});
export type ServeOpenAIOptionsInput = z.input<typeof ServeOpenAIOptionsSchema>;

/**
 * Runs before routing; return true when it has answered the request itself.
 * For tests (fault injection), logging or extra auth. `body` is the parsed JSON
 * or undefined.
 */
export type ServeIntercept = (
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
) => boolean | Promise<boolean>;

export interface OpenAIServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

/** Model errors caused by the request itself: answered 400, so clients do not retry them. */
const CLIENT_ERROR_CODES = new Set(['LM_INVALID_REQUEST', 'LM_UNSUPPORTED', 'LM_PROMPT_TOO_LONG']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

interface Pending {
  request: GenerateRequest;
  resolve: (r: GenerateResult) => void;
  reject: (e: unknown) => void;
}

/** Feeds queued requests to the model, one generate() call at a time. */
class Batcher {
  private queue: Pending[] = [];
  private busy = false;
  constructor(
    private readonly model: LanguageModel,
    private readonly maxBatch: number,
  ) {}

  submit(request: GenerateRequest): Promise<GenerateResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.model.generate(batch.map((p) => p.request));
          for (const [i, p] of batch.entries()) p.resolve(results[i]!);
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One bad request must not fail its neighbours: retry each alone.
          for (const p of batch) {
            try {
              const [r] = await this.model.generate([p.request]);
              p.resolve(r!);
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // setEncoding decodes UTF-8 sequences split across chunks correctly.
    req.setEncoding('utf8');
    let text = '';
    req.on('data', (c: string) => {
      text += c;
      if (text.length > limit) {
        reject(new HttpError(413, `request body exceeds ${limit} characters`, 'invalid_request_error'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function zodToHttp(error: z.ZodError): HttpError {
  const first = error.issues[0];
  const param = first?.path.length ? first.path.join('.') : null;
  return new HttpError(400, z.prettifyError(error), 'invalid_request_error', param, 'invalid_value');
}

function stops(stop: string | string[] | null | undefined): string[] {
  if (stop == null) return [];
  return (Array.isArray(stop) ? stop : [stop]).filter((s) => s.length > 0);
}

function toRequest(fields: Record<string, unknown>): GenerateRequest {
  const parsed = GenerateRequestSchema.safeParse(fields);
  if (!parsed.success) throw zodToHttp(parsed.error);
  return parsed.data;
}

function usage(results: GenerateResult[]) {
  const prompt = results.reduce((a, r) => a + r.promptTokens, 0);
  const completion = results.reduce((a, r) => a + r.samples.reduce((b, s) => b + s.completionTokens, 0), 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function wireFinish(s: Sample): string {
  return s.finishReason === 'other' ? 'stop' : s.finishReason;
}

/** Legacy completions logprobs for tokens starting at character `offset0`. */
function legacyLogprobs(
  tokens: { token: string; logprob: number; top?: { token: string; logprob: number }[] }[],
  offset0: number,
) {
  const offsets: number[] = [];
  let at = offset0;
  for (const t of tokens) {
    offsets.push(at);
    at += t.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) =>
      t.top ? Object.fromEntries(t.top.map((a) => [a.token, a.logprob])) : null,
    ),
    text_offset: offsets,
  };
}

/**
 * Serves `model` over HTTP. Resolves once listening.
 *
 * @example
 * ```ts
 * const server = await serveOpenAI(new ScriptedModel(), { port: 0 });
 * const client = new OpenAICompatibleModel({ baseURL: server.url, model: 'scripted' });
 * await server.close();
 * ```
 */
export async function serveOpenAI(
  model: LanguageModel,
  options: ServeOpenAIOptionsInput = {},
  intercept?: ServeIntercept,
): Promise<OpenAIServer> {
  const cfg = ServeOpenAIOptionsSchema.parse(options);
  const modelName = cfg.modelName ?? model.id;
  const batcher = new Batcher(model, cfg.maxBatch);
  const created = Math.floor(Date.now() / 1000);

  const checkModel = (name: string | undefined) => {
    if (name !== undefined && name !== modelName) {
      throw new HttpError(
        404,
        `The model \`${name}\` does not exist; this server serves \`${modelName}\``,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    }
  };

  const generateAll = (requests: GenerateRequest[]) => Promise.all(requests.map((r) => batcher.submit(r)));

  async function chat(body: unknown, res: ServerResponse): Promise<void> {
    const parsed = WireChatRequestSchema.safeParse(body);
    if (!parsed.success) throw zodToHttp(parsed.error);
    const w = parsed.data;
    checkModel(w.model);
    const request = toRequest({
      messages: w.messages,
      n: w.n ?? 1,
      temperature: w.temperature ?? 1,
      topP: w.top_p ?? 1,
      ...(w.top_k != null && w.top_k > 0 ? { topK: w.top_k } : {}),
      maxTokens: w.max_completion_tokens ?? w.max_tokens ?? cfg.defaultMaxTokens,
      stop: stops(w.stop),
      ...(w.seed != null ? { seed: w.seed } : {}),
      logprobs: w.logprobs ?? false,
      topLogprobs: w.top_logprobs ?? 0,
    });
    const [result] = await generateAll([request]);
    const id = `chatcmpl-${randomUUID()}`;
    const choices = result!.samples.map((s, index) => ({
      index,
      message: { role: 'assistant', content: s.text },
      finish_reason: wireFinish(s),
      logprobs: s.logprobs
        ? {
            content: s.logprobs.map((t) => ({
              token: t.token,
              logprob: t.logprob,
              top_logprobs: t.topLogprobs ?? [],
            })),
          }
        : null,
    }));
    if (w.stream) {
      startSse(res);
      for (const c of choices) {
        const base = { id, object: 'chat.completion.chunk', created, model: modelName };
        sse(res, {
          ...base,
          choices: [
            {
              index: c.index,
              delta: { role: 'assistant', content: c.message.content },
              logprobs: c.logprobs,
              finish_reason: null,
            },
          ],
        });
        sse(res, { ...base, choices: [{ index: c.index, delta: {}, finish_reason: c.finish_reason }] });
      }
      endSse(res);
      return;
    }
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: modelName,
      choices,
      usage: usage([result!]),
    });
  }

  async function completions(body: unknown, res: ServerResponse): Promise<void> {
    const parsed = WireCompletionRequestSchema.safeParse(body);
    if (!parsed.success) throw zodToHttp(parsed.error);
    const w: WireCompletionRequest = parsed.data;
    checkModel(w.model);
    const prompts = Array.isArray(w.prompt) ? w.prompt : [w.prompt];
    const maxTokens = w.max_tokens ?? cfg.defaultMaxTokens;
    const wantLogprobs = w.logprobs != null;
    const requests = prompts.map((prompt) =>
      toRequest({
        prompt,
        n: w.n ?? 1,
        temperature: w.temperature ?? 1,
        topP: w.top_p ?? 1,
        ...(w.top_k != null && w.top_k > 0 ? { topK: w.top_k } : {}),
        maxTokens,
        stop: stops(w.stop),
        ...(w.seed != null ? { seed: w.seed } : {}),
        logprobs: wantLogprobs,
        topLogprobs: w.logprobs ?? 0,
      }),
    );
    // echo + logprobs scores the prompt itself: needs the logProbs capability.
    let echoScores: Awaited<ReturnType<NonNullable<LanguageModel['logProbs']>>>[] | null = null;
    if (w.echo && wantLogprobs) {
      if (!model.logProbs) {
        throw new HttpError(
          400,
          `model \`${modelName}\` cannot score prompts (echo with logprobs)`,
          'invalid_request_error',
          'echo',
          'unsupported',
        );
      }
      echoScores = await Promise.all(prompts.map((p) => model.logProbs!('', p)));
    }
    const results =
      maxTokens === 0 && w.echo
        ? requests.map((r) => ({
            model: modelName,
            promptTokens: 0,
            samples: Array.from(
              { length: r.n },
              (): Sample => ({
                text: '',
                finishReason: 'length',
                completionTokens: 0,
                ...(wantLogprobs ? { logprobs: [] } : {}),
              }),
            ),
          }))
        : await generateAll(requests);
    const id = `cmpl-${randomUUID()}`;
    const choices = results.flatMap((result, p) =>
      result.samples.map((s, i) => {
        const prefix = w.echo ? prompts[p]! : '';
        let logprobs = null;
        if (wantLogprobs) {
          const gen = (s.logprobs ?? []).map((t) => ({
            token: t.token,
            logprob: t.logprob,
            top: t.topLogprobs,
          }));
          const echoed = echoScores
            ? echoScores[p]!.tokens.map((token, k) => ({ token, logprob: echoScores![p]!.logprobs[k]! }))
            : [];
          logprobs = legacyLogprobs([...echoed, ...gen], 0);
        }
        return {
          index: p * result.samples.length + i,
          text: prefix + s.text,
          finish_reason: wireFinish(s),
          logprobs,
        };
      }),
    );
    if (w.stream) {
      startSse(res);
      for (const c of choices) {
        const base = { id, object: 'text_completion', created, model: modelName };
        sse(res, {
          ...base,
          choices: [{ index: c.index, text: c.text, logprobs: c.logprobs, finish_reason: null }],
        });
        sse(res, {
          ...base,
          choices: [{ index: c.index, text: '', logprobs: null, finish_reason: c.finish_reason }],
        });
      }
      endSse(res);
      return;
    }
    sendJson(res, 200, {
      id,
      object: 'text_completion',
      created,
      model: modelName,
      choices,
      usage: usage(results),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const raw = req.method === 'POST' ? await readBody(req, cfg.maxBodyBytes) : '';
      let body: unknown;
      let bodyError: unknown = null;
      if (req.method === 'POST') {
        try {
          body = JSON.parse(raw);
        } catch (e) {
          bodyError = e;
        }
      }
      if (intercept && (await intercept(req, res, body))) return;
      if (cfg.apiKey !== undefined && req.headers.authorization !== `Bearer ${cfg.apiKey}`) {
        throw new HttpError(
          401,
          'Incorrect or missing API key',
          'invalid_request_error',
          null,
          'invalid_api_key',
        );
      }
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (req.method === 'GET' && path === '/v1/models') {
        sendJson(res, 200, {
          object: 'list',
          data: [{ id: modelName, object: 'model', created, owned_by: 'lab' }],
        });
        return;
      }
      const route = path === '/v1/chat/completions' ? chat : path === '/v1/completions' ? completions : null;
      if (!route)
        throw new HttpError(
          404,
          `no route ${req.method} ${path}`,
          'invalid_request_error',
          null,
          'not_found',
        );
      if (req.method !== 'POST') throw new HttpError(405, `${path} takes POST`, 'invalid_request_error');
      if (bodyError)
        throw new HttpError(
          400,
          `request body is not valid JSON: ${(bodyError as Error).message}`,
          'invalid_request_error',
        );
      await route(body, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, wireError(err.message, err.type, err.param, err.code));
      } else if (err instanceof LabError && CLIENT_ERROR_CODES.has(err.code)) {
        sendJson(res, 400, wireError(err.message, 'invalid_request_error', null, err.code));
      } else {
        sendJson(
          res,
          500,
          wireError(`internal error: ${(err as Error)?.message ?? String(err)}`, 'server_error'),
        );
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return {
    url: `http://${hostForUrl}:${port}/v1`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}
function sse(res: ServerResponse, data: unknown): void {
  res.write(`data: ${JSON.stringify(data)}\n\n`);
}
function endSse(res: ServerResponse): void {
  res.write('data: [DONE]\n\n');
  res.end();
}
