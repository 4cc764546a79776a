/**
 * OpenAICompatibleModel against the real serveOpenAI server on loopback (no
 * fetch mocks), with faults injected through the server's intercept hook.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LabError } from '@lab/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type GenerateRequest,
  type GenerateRequestInput,
  type LanguageModel,
  OpenAICompatibleModel,
  type OpenAIServer,
  ScriptedModel,
  type ServeIntercept,
  serveOpenAI,
} from '../src/index.js';

const servers: OpenAIServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function start(
  model: LanguageModel,
  intercept?: ServeIntercept,
  apiKey?: string,
): Promise<OpenAIServer> {
  const s = await serveOpenAI(
    model,
    { port: 0, host: '127.0.0.1', ...(apiKey ? { apiKey } : {}) },
    intercept,
  );
  servers.push(s);
  return s;
}

function client(
  server: OpenAIServer,
  extra: Partial<ConstructorParameters<typeof OpenAICompatibleModel>[0]> = {},
) {
  return new OpenAICompatibleModel({
    baseURL: server.url,
    model: 'scripted',
    backoff: { initialMs: 1, maxMs: 5, factor: 2 },
    timeoutMs: 5_000,
    ...extra,
  });
}

/** The prompt or last user text of a wire body, to key faults by request. */
function keyOf(body: unknown): string {
  const b = body as { prompt?: string; messages?: { content: string }[] } | undefined;
  return b?.prompt ?? b?.messages?.at(-1)?.content ?? '';
}

const chatReq = (i: number, extra: Partial<GenerateRequestInput> = {}): GenerateRequestInput => ({
  id: `r${i}`,
  messages: [{ role: 'user', content: `question ${i}` }],
  ...extra,
});

describe('OpenAICompatibleModel over serveOpenAI', () => {
  it('returns what the model itself returns, for chat and raw prompts', async () => {
    const model = new ScriptedModel();
    const server = await start(model);
    const c = client(server);
    const requests: GenerateRequestInput[] = [
      chatReq(0, { n: 3 }),
      { id: 'p', prompt: 'raw prompt', n: 2, logprobs: true },
      chatReq(1, { stop: ['#'], maxTokens: 100 }),
      chatReq(2, { maxTokens: 5 }),
    ];
    const got = await c.generate(requests);
    const want = await new ScriptedModel().generate(requests);
    expect(got.map((r) => r.samples.map((s) => s.text))).toEqual(
      want.map((r) => r.samples.map((s) => s.text)),
    );
    expect(got.map((r) => r.samples.map((s) => s.finishReason))).toEqual(
      want.map((r) => r.samples.map((s) => s.finishReason)),
    );
    expect(got[1]!.samples[0]!.logprobs).toEqual(want[1]!.samples[0]!.logprobs);
    expect(got[3]!.samples[0]).toMatchObject({ text: 'echo:', finishReason: 'length', completionTokens: 5 });
    expect(got.map((r) => r.id)).toEqual(['r0', 'p', 'r1', 'r2']);
    expect(model.calls).toHaveLength(4);
  });

  it('passes image content parts through in the OpenAI format', async () => {
    let seen: GenerateRequest | null = null;
    const model = new ScriptedModel({
      rule: (r) => {
        seen = r;
        const parts = r.messages![0]!.content;
        return Array.isArray(parts) ? parts.map((p) => p.type).join(',') : 'string';
      },
    });
    const c = client(await start(model));
    const url = 'data:image/png;base64,iVBORw0KGgo=';
    const [r] = await c.generate([
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url } },
              { type: 'text', text: 'Q: what is the max? A:' },
            ],
          },
        ],
      },
    ]);
    expect(r!.samples[0]!.text).toBe('image_url,text');
    expect(JSON.stringify(seen)).toContain(url);
  });

  it('fans out with distinct seeds when the server returns fewer than n choices', async () => {
    // A model that, like Ollama, ignores n: one sample per call.
    const inner = new ScriptedModel({ rule: (r) => `seed=${r.seed}` });
    const seeds: (number | undefined)[] = [];
    const oneChoice: LanguageModel = {
      id: 'scripted',
      async generate(requests) {
        const rs = requests.map((r) => ({ ...r, n: 1 }));
        for (const r of rs) seeds.push(r.seed);
        return inner.generate(rs);
      },
    };
    const c = client(await start(oneChoice));
    const [r] = await c.generate([chatReq(0, { n: 5, seed: 100 })]);
    expect(r!.samples.map((s) => s.text)).toEqual([
      'seed=100',
      'seed=101',
      'seed=102',
      'seed=103',
      'seed=104',
    ]);
    expect(seeds.sort()).toEqual([100, 101, 102, 103, 104]);
  });

  it('retries 429 (honouring Retry-After) and 5xx; nothing lost or duplicated', async () => {
    const model = new ScriptedModel();
    const hits = new Map<string, number>();
    const server = await start(model, (_req, res, body) => {
      const key = keyOf(body);
      const k = (hits.get(key) ?? 0) + 1;
      hits.set(key, k);
      const i = Number(key.split(' ')[1]);
      if (k === 1 && i % 2 === 0) {
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: 'slow down', type: 'rate_limit', param: null, code: null } }),
        );
        return true;
      }
      if (k === 1 && i % 3 === 0) {
        res.writeHead(503);
        res.end('overloaded');
        return true;
      }
      return false;
    });
    const c = client(server, { concurrency: 4 });
    const requests = Array.from({ length: 20 }, (_, i) => chatReq(i, { n: 2 }));
    const got = await c.generate(requests);
    expect(got.map((r) => r.samples.map((s) => s.text))).toEqual(
      requests.map((_, i) => [`echo: question ${i} #0`, `echo: question ${i} #1`]),
    );
    const faulted = requests.filter((_, i) => i % 2 === 0 || i % 3 === 0).length;
    expect(c.stats.retries).toBe(faulted);
    // The model answered each request exactly once.
    expect(model.calls.map((r) => r.messages![0]!.content).sort()).toEqual(
      requests.map((_, i) => `question ${i}`).sort(),
    );
  });

  it('waits as long as Retry-After asks', async () => {
    let first = true;
    const c = client(
      await start(new ScriptedModel(), (_req, res) => {
        if (!first) return false;
        first = false;
        res.writeHead(429, { 'retry-after-ms': '300' });
        res.end('{}');
        return true;
      }),
    );
    const t0 = performance.now();
    await c.generate([chatReq(0)]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('times out a hanging answer, retries it, and returns each result once', async () => {
    const model = new ScriptedModel();
    const hung: ServerResponse[] = [];
    const hits = new Map<string, number>();
    const c = client(
      await start(model, (_req, res, body) => {
        const key = keyOf(body);
        const k = (hits.get(key) ?? 0) + 1;
        hits.set(key, k);
        if (k === 1 && key.endsWith('1')) {
          hung.push(res); // never answered
          return true;
        }
        return false;
      }),
      { timeoutMs: 1_000 },
    );
    const got = await c.generate([chatReq(0), chatReq(1), chatReq(2)]);
    expect(got.map((r) => r.samples[0]!.text)).toEqual([
      'echo: question 0 #0',
      'echo: question 1 #0',
      'echo: question 2 #0',
    ]);
    expect(hung).toHaveLength(1);
    expect(c.stats.retries).toBe(1);
    expect(model.calls).toHaveLength(3);
  });

  it('gives up with LM_TIMEOUT after maxRetries', async () => {
    const c = client(await start(new ScriptedModel(), () => true), { timeoutMs: 50, maxRetries: 2 });
    const err = await c.generate([chatReq(7)]).catch((e) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err.code).toBe('LM_TIMEOUT');
    expect(err.message).toContain('request #0 (id r7)');
    expect(c.stats.attempts).toBe(3);
  });

  it('fails at once on a broken JSON body or a wrong shape, naming the request', async () => {
    const c = client(
      await start(new ScriptedModel(), (_req, res, body) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          keyOf(body) === 'question 1' ? '{"choices": [{"index": 0, "mess' : '{"choices": [{"text": 3}]}',
        );
        return true;
      }),
    );
    const broken = await c.generate([chatReq(0), chatReq(1)]).catch((e) => e);
    expect(broken.code).toBe('LM_MALFORMED_RESPONSE');
    const shape = await c.generate([chatReq(3)]).catch((e) => e);
    expect(shape.code).toBe('LM_MALFORMED_RESPONSE');
    expect(shape.message).toContain('request #0 (id r3)');
    expect(shape.message).toContain('OpenAI shape');
    expect(c.stats.retries).toBe(0);
  });

  it('fails at once on 4xx with the server message', async () => {
    const server = await start(new ScriptedModel());
    const wrongModel = client(server, { model: 'gpt-9' });
    const err = await wrongModel.generate([chatReq(0)]).catch((e) => e);
    expect(err.code).toBe('LM_HTTP_ERROR');
    expect(err.context.status).toBe(404);
    expect(err.message).toContain('does not exist');
    expect(err.message).toContain('request #0 (id r0) to model gpt-9');
    expect(wrongModel.stats.attempts).toBe(1);

    const keyed = await start(new ScriptedModel(), undefined, 'sekrit');
    const noKey = await client(keyed)
      .generate([chatReq(0)])
      .catch((e) => e);
    expect(noKey.context.status).toBe(401);
    const [ok] = await client(keyed, { apiKey: 'sekrit' }).generate([chatReq(0)]);
    expect(ok!.samples[0]!.text).toBe('echo: question 0 #0');
  });

  it('retries network errors and then reports LM_NETWORK_ERROR', async () => {
    const server = await start(new ScriptedModel());
    const c = client(server, { maxRetries: 2 });
    await server.close();
    servers.length = 0;
    const err = await c.generate([chatReq(0)]).catch((e) => e);
    expect(err.code).toBe('LM_NETWORK_ERROR');
    expect(c.stats.attempts).toBe(3);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const track = (_req: IncomingMessage, res: ServerResponse) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      res.on('close', () => inFlight--);
      return false;
    };
    const c = client(await start(new ScriptedModel({ delayMs: 20 }), track), { concurrency: 3 });
    await c.generate(Array.from({ length: 12 }, (_, i) => chatReq(i)));
    expect(peak).toBe(3);
  });

  it('rejects invalid options before any call, and aborts on signal', async () => {
    const c = client(await start(new ScriptedModel({ delayMs: 2_000 })));
    const bad = await c.generate([chatReq(0), { prompt: 'x', temperature: -1 }]).catch((e) => e);
    expect(bad.code).toBe('LM_INVALID_REQUEST');
    expect(bad.message).toContain('request #1');
    const both = await c
      .generate([{ prompt: 'x', messages: [{ role: 'user', content: 'y' }] }])
      .catch((e) => e);
    expect(both.code).toBe('LM_INVALID_REQUEST');
    expect(c.stats.attempts).toBe(0);

    const ac = new AbortController();
    const t0 = performance.now();
    const pending = c.generate([chatReq(0)], { signal: ac.signal }).catch((e) => e);
    setTimeout(() => ac.abort(new Error('user stop')), 50);
    const aborted = await pending;
    expect(aborted.message).toBe('user stop');
    expect(performance.now() - t0).toBeLessThan(1_500);
  });

  it('sends top_k only when asked to, warning once when it drops it', async () => {
    const model = new ScriptedModel();
    const server = await start(model);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await client(server).generate([chatReq(0, { topK: 5 }), chatReq(1, { topK: 5 })]);
      expect(model.calls.map((r) => r.topK)).toEqual([undefined, undefined]);
      expect(warn).toHaveBeenCalledTimes(1);
      await client(server, { sendTopK: true }).generate([chatReq(2, { topK: 5 })]);
      expect(model.calls.at(-1)!.topK).toBe(5);
    } finally {
      warn.mockRestore();
    }
  });

  it('reports a model that cannot take images as a 400, not a retry', async () => {
    const textOnly: LanguageModel = {
      id: 'scripted',
      async generate() {
        throw new LabError(
          'LM_UNSUPPORTED',
          'this chat template renders text only; the message has an image part',
        );
      },
    };
    const c = client(await start(textOnly));
    const err = await c
      .generate([
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }] },
      ])
      .catch((e) => e);
    expect(err.context.status).toBe(400);
    expect(err.message).toContain('image part');
    expect(c.stats.retries).toBe(0);
  });

  it('scores continuations through echo + logprobs', async () => {
    const model = new ScriptedModel();
    const c = client(await start(model));
    const got = await c.logProbs('The answer is', ' 42.');
    const want = await model.logProbs('The answer is', ' 42.');
    expect(got.tokens).toEqual(want.tokens);
    expect(got.logprobs).toEqual(want.logprobs);
    expect(got.total).toBeCloseTo(want.total, 10);
    expect(await c.listModels()).toEqual(['scripted']);
    expect(await c.probe()).toEqual({ tokenLogprobs: true, scoring: true });
  });

  it('probe reports a server that cannot score text', async () => {
    const inner = new ScriptedModel();
    const noScoring: LanguageModel = { id: 'scripted', generate: (r) => inner.generate(r) };
    const c = client(await start(noScoring), { maxRetries: 0 });
    expect(await c.probe()).toEqual({ tokenLogprobs: true, scoring: false });
  });
});
