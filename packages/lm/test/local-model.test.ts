import { generate, initBackend, sequenceLogProbs, TransformerLM, tf, VocabTokenizer } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../../core/test/helpers.js';
import { LocalModel, OpenAICompatibleModel, serveOpenAI } from '../src/index.js';

const CORPUS = 'User: Assistant:\n abcdefgh0123456789+=?';
let tok: VocabTokenizer;
let lm: TransformerLM;
let local: LocalModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  tok = VocabTokenizer.fromCorpus([CORPUS], { level: 'char' });
  lm = new TransformerLM({
    vocabSize: tok.vocabSize,
    dModel: 32,
    nLayers: 2,
    nHeads: 2,
    maxSeqLen: 64,
    seed: 3,
  });
  local = new LocalModel(lm, tok, { id: 'tiny' });
});

describe('LocalModel', () => {
  it('greedy batched decoding equals core generate on each prompt alone', async () => {
    const prompts = ['ab', 'hello? 12', '3+4=', 'a'];
    const results = await local.generate(prompts.map((p) => ({ prompt: p, temperature: 0, maxTokens: 8 })));
    for (const [i, p] of prompts.entries()) {
      const ids = [tok.bosId!, ...tok.encode(p)];
      const alone = await generate(lm, [ids], { maxNewTokens: 8, stopTokens: [tok.eosId!] });
      expect(results[i]!.samples[0]!.text).toBe(tok.decode(alone.tokens[0]!, { skipSpecialTokens: true }));
      expect(results[i]!.promptTokens).toBe(ids.length);
    }
  });

  it('draws n samples; a seeded request gives the same samples alone or in a batch', async () => {
    const req = { prompt: 'abc', n: 4, temperature: 1, maxTokens: 6, seed: 42 };
    const [alone] = await local.generate([req]);
    const [, inBatch] = await local.generate([{ prompt: 'zz', n: 3, maxTokens: 6 }, req]);
    expect(alone!.samples).toHaveLength(4);
    expect(inBatch!.samples.map((s) => s.text)).toEqual(alone!.samples.map((s) => s.text));
    expect(new Set(alone!.samples.map((s) => s.text)).size).toBeGreaterThan(1);
  });

  it('honours maxTokens and stop strings', async () => {
    const [long] = await local.generate([{ prompt: 'ab', temperature: 0, maxTokens: 12 }]);
    const text = long!.samples[0]!.text;
    expect(long!.samples[0]).toMatchObject({ finishReason: 'length', completionTokens: 12 });
    const stop = text[5]!;
    const cut = text.indexOf(stop);
    const [stopped] = await local.generate([{ prompt: 'ab', temperature: 0, maxTokens: 12, stop: [stop] }]);
    expect(stopped!.samples[0]).toMatchObject({
      text: text.slice(0, cut),
      finishReason: 'stop',
      completionTokens: cut,
    });
  });

  it('renders chat messages with the template', async () => {
    const [chat] = await local.generate([
      { messages: [{ role: 'user', content: 'abc' }], temperature: 0, maxTokens: 5, stop: ['\u0000'] },
    ]);
    const [raw] = await local.generate([{ prompt: 'User: abc\nAssistant:', temperature: 0, maxTokens: 5 }]);
    // The chat form also stops at the template's newline.
    expect(raw!.samples[0]!.text.startsWith(chat!.samples[0]!.text)).toBe(true);
    expect(chat!.samples[0]!.text).not.toContain('\n');
  });

  it('returns sampled-token logprobs that match sequence scoring, and logProbs does too', async () => {
    const [r] = await local.generate([
      { prompt: 'ab', temperature: 0, maxTokens: 6, logprobs: true, topLogprobs: 2 },
    ]);
    const s = r!.samples[0]!;
    expect(s.logprobs).toHaveLength(6);
    // Greedy: the sampled token is the most likely one.
    for (const t of s.logprobs!) expect(t.topLogprobs![0]!.logprob).toBeCloseTo(t.logprob, 5);
    const scored = await local.logProbs('ab', s.text);
    expectClose(
      scored.logprobs,
      s.logprobs!.map((t) => t.logprob),
      1e-4,
    );
    expect(scored.tokens.join('')).toBe(s.text);

    const ids = [tok.bosId!, ...tok.encode('ab'), ...tok.encode(s.text)];
    const ref = sequenceLogProbs(lm, [ids], [ids.map((_, i) => (i >= 3 ? 1 : 0))]);
    expect(scored.total).toBeCloseTo((await ref.sums.data())[0]!, 4);
    tf.dispose([ref.sums, ref.perToken]);

    const batch = await local.logProbsBatch([
      { prompt: 'ab', continuation: s.text },
      { prompt: 'hello 1', continuation: 'ab' },
    ]);
    expectClose(batch[0]!.logprobs, scored.logprobs, 1e-4);
    expectClose(batch[1]!.logprobs, (await local.logProbs('hello 1', 'ab')).logprobs, 1e-4);
  });

  it('does not leak tensors', async () => {
    await local.generate([{ prompt: 'a', maxTokens: 2 }]);
    await expectNoLeak(async () => {
      await local.generate([
        { prompt: 'ab', n: 3, maxTokens: 5, stop: ['a'], logprobs: true },
        { messages: [{ role: 'user', content: 'x' }], maxTokens: 4 },
      ]);
      await local.logProbsBatch([{ prompt: 'a', continuation: 'bc' }]);
    });
  });

  it('serves over HTTP to OpenAICompatibleModel', async () => {
    const server = await serveOpenAI(local, { port: 0 });
    try {
      const client = new OpenAICompatibleModel({ baseURL: server.url, model: 'tiny' });
      const req = { prompt: 'abc', temperature: 0, maxTokens: 6 };
      const [remote] = await client.generate([req, { ...req, prompt: 'ba' }]);
      const [direct] = await local.generate([req]);
      expect(remote!.samples[0]!.text).toBe(direct!.samples[0]!.text);
      const tooLong = await client.generate([{ prompt: 'a'.repeat(70) }]).catch((e) => e);
      expect(tooLong.context.status).toBe(400);
      expect(tooLong.message).toContain('maxSeqLen 64');
      const lp = await client.logProbs('ab', 'cd');
      expectClose(lp.logprobs, (await local.logProbs('ab', 'cd')).logprobs, 1e-4);
    } finally {
      await server.close();
    }
  });
});
