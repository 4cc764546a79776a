import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type CausalLM,
  ChainedGuidance,
  ClassifierFreeGuidance,
  ContrastiveDecoding,
  generate,
  TransformerLM,
} from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { ToyLM } from './toy-lm.js';

const VOCAB = 13;

type Disposable = CausalLM & { dispose(): void };
const MODELS: [string, () => Disposable][] = [
  ['toy', () => new ToyLM(VOCAB, 8, 32, 2)],
  [
    'transformer rope',
    () =>
      new TransformerLM({
        vocabSize: VOCAB,
        dModel: 16,
        nLayers: 2,
        nHeads: 2,
        maxSeqLen: 32,
        position: { kind: 'rope' },
      }),
  ],
  [
    'transformer absolute',
    () => new TransformerLM({ vocabSize: VOCAB, dModel: 16, nLayers: 2, nHeads: 2, maxSeqLen: 32, seed: 3 }),
  ],
];

/** A view of `model` that is a different object, so generate() runs a second stream separately. */
function alias(model: CausalLM): CausalLM {
  return {
    vocabSize: model.vocabSize,
    maxSeqLen: model.maxSeqLen,
    forward: (t, o) => model.forward(t, o),
    createCache: (b) => model.createCache(b),
    parameters: () => model.parameters(),
    train: (on) => model.train(on),
    eval: () => model.eval(),
  };
}

/** Argmax of row r of a flat [batch * vocab] array. */
function argmax(data: Float32Array, r: number): number {
  let best = 0;
  for (let i = 1; i < VOCAB; i++) if (data[r * VOCAB + i]! > data[r * VOCAB + best]!) best = i;
  return best;
}

const PROMPTS = [[1, 2, 3, 4, 5], [7], [3, 9, 9]];

describeBackends('generate()', () => {
  for (const [name, make] of MODELS) {
    let model: Disposable;
    beforeAll(() => {
      model = make();
    });
    afterAll(() => model.dispose());
    it(`${name}: greedy picks the argmax; cached and uncached decoding agree in tokens and logits`, async () => {
      const cached = await generate(model, PROMPTS, { maxNewTokens: 8, returnLogits: true });
      const uncached = await generate(model, PROMPTS, {
        maxNewTokens: 8,
        returnLogits: true,
        useCache: false,
      });
      expect(cached.tokens).toEqual(uncached.tokens);
      expect(cached.logits!.length).toBe(8);
      cached.logits!.forEach((step, s) => {
        expectClose(step, uncached.logits![s]!, 1e-4, 1e-4);
        PROMPTS.forEach((_, r) => {
          expect(cached.tokens[r]![s]).toBe(argmax(step, r));
        });
      });
      expect(cached.sequences[1]).toEqual([7, ...cached.tokens[1]!]);
      expect(cached.finishReasons).toEqual(['length', 'length', 'length']);
    });

    it(`${name}: a batch of different prompt lengths decodes each row as it would alone`, async () => {
      const batched = await generate(model, PROMPTS, {
        maxNewTokens: 6,
        returnLogits: true,
        doSample: true,
        topK: 5,
        seed: 4,
      });
      for (const [r, prompt] of PROMPTS.entries()) {
        const alone = await generate(model, [prompt], { maxNewTokens: 6, returnLogits: true });
        const greedyBatch = await generate(model, PROMPTS, { maxNewTokens: 6 });
        expect(greedyBatch.tokens[r]).toEqual(alone.tokens[0]);
        // Sampled rows differ from greedy, but the first step's logits are the prompt's own.
        expectClose(
          batched.logits![0]!.subarray(r * VOCAB, (r + 1) * VOCAB),
          alone.logits![0]!.subarray(0, VOCAB),
          1e-4,
          1e-4,
        );
      }
    });

    it(`${name}: the same seed gives the same samples, no tensor leaks per step`, async () => {
      const counts: number[] = [];
      const before = tf.memory().numTensors;
      const opts = { maxNewTokens: 10, doSample: true, temperature: 1.5, topP: 0.95, seed: 11 } as const;
      const a = await generate(model, PROMPTS, {
        ...opts,
        onStep: () => counts.push(tf.memory().numTensors),
      });
      expect(tf.memory().numTensors).toBe(before);
      // The cache grows inside the first steps only by its own kept tensors; after that it is replaced in place.
      expect(new Set(counts.slice(2)).size).toBe(1);
      const b = await generate(model, PROMPTS, opts);
      const c = await generate(model, PROMPTS, { ...opts, seed: 12 });
      expect(b.tokens).toEqual(a.tokens);
      expect(c.tokens).not.toEqual(a.tokens);
      const uncached = await generate(model, PROMPTS, { ...opts, useCache: false });
      expect(uncached.tokens).toEqual(a.tokens);
      // Per-row seeds: each row samples what it samples alone with that seed.
      const seeds = [5, 6, 7];
      const perRow = await generate(model, PROMPTS, { ...opts, seeds });
      for (const [r, prompt] of PROMPTS.entries()) {
        const alone = await generate(model, [prompt], { ...opts, seed: seeds[r]! });
        expect(perRow.tokens[r]).toEqual(alone.tokens[0]);
      }
    });

    it(`${name}: stop tokens end rows independently`, async () => {
      const free = await generate(model, PROMPTS, { maxNewTokens: 6 });
      const stop = free.tokens[0]![2]!;
      const stopped = await generate(model, PROMPTS, { maxNewTokens: 6, stopTokens: [stop] });
      free.tokens.forEach((row, r) => {
        const at = row.indexOf(stop);
        if (at < 0) {
          expect(stopped.tokens[r]).toEqual(row);
          expect(stopped.finishReasons[r]).toBe('length');
        } else {
          expect(stopped.tokens[r]).toEqual(row.slice(0, at));
          expect(stopped.finishReasons[r]).toBe('stop');
        }
      });
      expect(stopped.finishReasons[0]).toBe('stop');
      expect(stopped.tokens[0]!.length).toBeLessThanOrEqual(2);
    });

    it(`${name}: two-stream guidance: batched and separate streams agree; CFG scale 1 is plain decoding`, async () => {
      const uncond = [[0, 5], [0], [0, 9]];
      const cfg = new ClassifierFreeGuidance(2.5);
      const together = await generate(model, PROMPTS, {
        maxNewTokens: 5,
        guidance: { prompts: uncond, combine: cfg },
      });
      const apart = await generate(model, PROMPTS, {
        maxNewTokens: 5,
        guidance: { prompts: uncond, combine: cfg, model: alias(model) },
      });
      expect(apart.tokens).toEqual(together.tokens);
      const uncachedGuided = await generate(model, PROMPTS, {
        maxNewTokens: 5,
        useCache: false,
        guidance: { prompts: uncond, combine: cfg },
      });
      expect(uncachedGuided.tokens).toEqual(together.tokens);
      const plain = await generate(model, PROMPTS, { maxNewTokens: 5 });
      const one = await generate(model, PROMPTS, {
        maxNewTokens: 5,
        guidance: { prompts: uncond, combine: new ClassifierFreeGuidance(1) },
      });
      expect(one.tokens).toEqual(plain.tokens);
      // Three streams: chained guidance with the middle stream on a separate model equals the formula step by step.
      const mid = [[0, 4, 5], [0, 7], [9]];
      const chainArgs = {
        streams: [{ prompts: mid, model: alias(model) }, { prompts: uncond }],
        combine: new ChainedGuidance([2, 1.5]),
      };
      const three = await generate(model, PROMPTS, {
        maxNewTokens: 4,
        returnLogits: true,
        guidance: chainArgs,
      });
      const threeUncached = await generate(model, PROMPTS, {
        maxNewTokens: 4,
        useCache: false,
        guidance: chainArgs,
      });
      expect(threeUncached.tokens).toEqual(three.tokens);
      // Chained guidance with scales [s, 1] over [c, u, u] is CFG(s) over [c, u].
      const degenerate = await generate(model, PROMPTS, {
        maxNewTokens: 5,
        guidance: {
          streams: [{ prompts: uncond }, { prompts: uncond }],
          combine: new ChainedGuidance([2.5, 1]),
        },
      });
      expect(degenerate.tokens).toEqual(together.tokens);
      // Contrastive decoding against itself scores 0 on the plausible set: greedy picks its first plausible token.
      const cd = await generate(model, PROMPTS, {
        maxNewTokens: 3,
        guidance: { prompts: PROMPTS, combine: new ContrastiveDecoding({ alpha: 0.1, k: 1 }) },
      });
      expect(cd.tokens.every((row) => row.length === 3)).toBe(true);
    });
  }

  it('validates prompts and lengths with codes', async () => {
    const model = new ToyLM(VOCAB, 8, 8, 1);
    await expect(generate(model, [[1, 2, 3]], { maxNewTokens: 7 })).rejects.toMatchObject({
      code: 'GENERATE_TOO_LONG',
    });
    await expect(generate(model, [[1, 2, 3]], { maxNewTokens: 6 })).resolves.toBeTruthy();
    await expect(generate(model, [[]], { maxNewTokens: 2 })).rejects.toMatchObject({
      code: 'GENERATE_EMPTY_PROMPT',
    });
    await expect(generate(model, [[VOCAB]], { maxNewTokens: 2 })).rejects.toMatchObject({
      code: 'GENERATE_TOKEN_RANGE',
    });
    await expect(
      generate(model, [[1]], {
        maxNewTokens: 2,
        guidance: { prompts: [], combine: new ClassifierFreeGuidance(2) },
      }),
    ).rejects.toMatchObject({ code: 'GENERATE_GUIDANCE' });
    model.dispose();
  });
});
