/** serveOpenAI spoken to with raw HTTP, as a foreign client (curl, an SDK) would. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LanguageModel, type OpenAIServer, ScriptedModel, serveOpenAI } from '../src/index.js';

// biome-ignore lint/suspicious/noExplicitAny: raw wire JSON, read field by field in assertions
type Json = any;

let server: OpenAIServer;
let model: ScriptedModel;
beforeAll(async () => {
  model = new ScriptedModel({ id: 'tiny' });
  server = await serveOpenAI(model, { port: 0 });
});
afterAll(() => server.close());

async function post(path: string, body: unknown): Promise<{ status: number; json: Json; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

function expectOpenAIError(json: Json): void {
  expect(Object.keys(json)).toEqual(['error']);
  expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof json.error.message).toBe('string');
}

describe('serveOpenAI', () => {
  it('lists the model', async () => {
    const json = await (await fetch(`${server.url}/models`)).json();
    expect(json).toMatchObject({ object: 'list', data: [{ id: 'tiny', object: 'model' }] });
  });

  it('answers chat completions with n choices and usage', async () => {
    const { status, json } = await post('/chat/completions', {
      model: 'tiny',
      messages: [{ role: 'user', content: 'hi' }],
      n: 2,
      max_tokens: 50,
    });
    expect(status).toBe(200);
    expect(json.object).toBe('chat.completion');
    expect(json.choices.map((c: Json) => c.message.content)).toEqual(['echo: hi #0', 'echo: hi #1']);
    expect(json.choices[0].finish_reason).toBe('stop');
    expect(json.usage.completion_tokens).toBe(22);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + 22);
  });

  it('answers completions for a list of prompts, indexing choices prompt-major', async () => {
    const { json } = await post('/completions', { prompt: ['a', 'b'], n: 2, stop: '#', logprobs: 1 });
    expect(json.choices.map((c: Json) => [c.index, c.text])).toEqual([
      [0, 'echo: a '],
      [1, 'echo: a '],
      [2, 'echo: b '],
      [3, 'echo: b '],
    ]);
    const lp = json.choices[0].logprobs;
    expect(lp.tokens.join('')).toBe('echo: a ');
    expect(lp.text_offset.slice(0, 3)).toEqual([0, 1, 2]);
    expect(lp.token_logprobs).toHaveLength(8);
  });

  it('streams in the SSE format', async () => {
    const res = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 's' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('echo: s #0');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');
  });

  it('reports errors in the OpenAI shape', async () => {
    const broken = await post('/chat/completions', '{"messages": [');
    expect(broken.status).toBe(400);
    expectOpenAIError(broken.json);
    expect(broken.json.error.message).toContain('not valid JSON');

    const invalid = await post('/chat/completions', {
      messages: [{ role: 'user', content: 'x' }],
      temperature: 'hot',
    });
    expect(invalid.status).toBe(400);
    expectOpenAIError(invalid.json);
    expect(invalid.json.error.param).toBe('temperature');

    const noMessages = await post('/chat/completions', { prompt: 'x' });
    expect(noMessages.json.error.param).toBe('messages');

    const route = await post('/v1/embeddings', {});
    expect(route.status).toBe(404);
    expectOpenAIError(route.json);

    const wrong = await post('/completions', { model: 'other', prompt: 'x' });
    expect(wrong.status).toBe(404);
    expect(wrong.json.error.code).toBe('model_not_found');
  });

  it('turns a model crash into a 500 and keeps batching neighbours apart', async () => {
    const flaky: LanguageModel = {
      id: 'flaky',
      async generate(requests) {
        if (requests.some((r) => r.prompt === 'boom')) throw new Error('kaboom');
        return new ScriptedModel().generate(requests);
      },
    };
    const s = await serveOpenAI(flaky, { port: 0 });
    try {
      const call = (prompt: string) =>
        fetch(`${s.url}/completions`, { method: 'POST', body: JSON.stringify({ prompt }) }).then(
          async (r) => ({
            status: r.status,
            json: (await r.json()) as Json,
          }),
        );
      const [a, b, c] = await Promise.all([call('ok1'), call('boom'), call('ok2')]);
      expect(a.status).toBe(200);
      expect(c.json.choices[0].text).toBe('echo: ok2 #0');
      expect(b.status).toBe(500);
      expectOpenAIError(b.json);
      expect(b.json.error.message).toContain('kaboom');
    } finally {
      await s.close();
    }
  });
});
