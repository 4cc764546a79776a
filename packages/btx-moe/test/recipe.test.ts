import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, LabError, loadModel, saveCheckpoint, saveModel, TransformerLM, tf } from '@lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../../core/test/helpers.js';
import {
  branch,
  btmLogProbs,
  CHAR_VOCAB_SIZE,
  finetune,
  MoEFeedForward,
  mix,
  moeFeedForwards,
  moeLayers,
  readManifest,
  trainExpert,
  trainStage,
  upcycle,
} from '../src/index.js';

const BASE = {
  vocabSize: CHAR_VOCAB_SIZE,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  dFF: 32,
  maxSeqLen: 16,
} as const;
let dir: string;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'btx-recipe-'));
  const seed = new TransformerLM({ ...BASE, seed: 1 });
  await saveModel(join(dir, 'seed'), seed);
  seed.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokens(seed: number): tf.Tensor2D {
  return tf.randomUniform([2, 12], 3, CHAR_VOCAB_SIZE, 'int32', seed) as tf.Tensor2D;
}

describe('BTX recipe over checkpoints', () => {
  it('mixing identical experts (untrained branches + the seed) reproduces the dense model exactly', async () => {
    await branch(join(dir, 'seed'), join(dir, 'same-a'));
    await branch(join(dir, 'seed'), join(dir, 'same-b'));
    for (const routing of ['top2', 'soft'] as const) {
      const out = join(dir, `same-moe-${routing}`);
      await mix({
        seed: join(dir, 'seed'),
        experts: [join(dir, 'same-a'), join(dir, 'same-b')],
        out,
        moe: { routing },
      });
      const { model: dense } = await loadModel(join(dir, 'seed'));
      const { model: moe } = await loadModel(out, { feedForwards: moeFeedForwards });
      expect(moeLayers(moe)).toHaveLength(2);
      expect(moeLayers(moe)[0]!.numExperts).toBe(3);
      const x = tokens(3);
      const a = dense.forward(x);
      const b = moe.forward(x);
      expectClose(b.logits.dataSync(), a.logits.dataSync(), 2e-6, 1e-5);
      tf.dispose([x, a.logits, b.logits, ...(b.auxLoss ? [b.auxLoss] : [])]);
      dense.dispose();
      moe.dispose();
    }
  });

  it('trains experts, mixes them: FFNs stacked in order, the rest averaged, manifest recorded', async () => {
    const experts = ['arith', 'code'].map((d) => join(dir, `expert-${d}`));
    for (const [i, d] of (['arith', 'code'] as const).entries()) {
      await branch(join(dir, 'seed'), experts[i]!);
      const r = await trainExpert({
        checkpoint: experts[i]!,
        out: experts[i]!,
        domain: d,
        steps: 3,
        batchSize: 2,
        warmupSteps: 1,
      });
      expect(r.manifest.domain).toBe(d);
      expect(r.tokens).toBe(3 * 2 * 16);
    }
    const out = join(dir, 'btx');
    await mix({ seed: join(dir, 'seed'), experts, out, routerSeed: 5 });
    expect((await readManifest(out)).experts).toEqual(['arith', 'code', 'seed']);
    const { model: moe } = await loadModel(out, { feedForwards: moeFeedForwards });
    const loaded = await Promise.all([...experts, join(dir, 'seed')].map((d) => loadModel(d)));
    const sd = moe.stateDict();
    for (let e = 0; e < 3; e++) {
      const src = loaded[e]!.model.stateDict();
      for (const l of [0, 1]) {
        const w1 = tf.tidy(() => tf.squeeze(tf.slice(sd[`blocks.${l}.ff.w1`]!, [e, 0, 0], [1, -1, -1]), [0]));
        expectClose(w1.dataSync(), src[`blocks.${l}.ff.fc.weight`]!.dataSync(), 0, 0);
        w1.dispose();
      }
    }
    const mean = tf.tidy(() =>
      tf.div(
        tf.add(
          loaded[0]!.model.stateDict()['blocks.0.attn.qkv.weight']!,
          loaded[1]!.model.stateDict()['blocks.0.attn.qkv.weight']!,
        ),
        2,
      ),
    );
    expectClose(sd['blocks.0.attn.qkv.weight']!.dataSync(), mean.dataSync(), 1e-7);
    mean.dispose();
    for (const m of loaded) m.model.dispose();
    moe.dispose();
  });

  it('rejects experts whose config, shapes or seed disagree, naming the file and field', async () => {
    const other = new TransformerLM({ ...BASE, dFF: 48, seed: 1 });
    await saveModel(join(dir, 'wide'), other);
    other.dispose();
    const err = await mix({
      experts: [join(dir, 'same-a'), join(dir, 'wide')],
      out: join(dir, 'bad1'),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err.code).toBe('BTX_CONFIG_MISMATCH');
    expect(err.message).toContain('dFF');
    expect(err.message).toContain('wide');

    const stranger = new TransformerLM({ ...BASE, seed: 2 });
    await saveModel(join(dir, 'stranger'), stranger);
    stranger.dispose();
    const err2 = await mix({
      experts: [join(dir, 'same-a'), join(dir, 'stranger')],
      out: join(dir, 'bad2'),
    }).catch((e) => e);
    expect(err2.code).toBe('BTX_SEED_MISMATCH');

    const { model } = await loadModel(join(dir, 'seed'));
    const sd = { ...model.stateDict(), 'blocks.1.ff.proj.bias': tf.zeros([17]) };
    await saveCheckpoint(join(dir, 'misshapen'), { config: model.config, stateDict: sd });
    const err3 = await mix({
      experts: [join(dir, 'same-a'), join(dir, 'misshapen')],
      out: join(dir, 'bad3'),
      allowUnknownSeed: true,
    }).catch((e) => e);
    expect(err3.code).toBe('BTX_SHAPE_MISMATCH');
    expect(err3.message).toContain('blocks.1.ff.proj.bias');
    tf.dispose(sd['blocks.1.ff.proj.bias']);
    model.dispose();
  });

  it('router-only finetune changes only routers; MoE training steps leak no tensor', async () => {
    await upcycle({
      seed: join(dir, 'seed'),
      numExperts: 4,
      out: join(dir, 'up'),
      moe: { dispatch: 'sparse', tileSize: 4 },
    });
    await finetune({
      checkpoint: join(dir, 'up'),
      out: join(dir, 'up-router'),
      steps: 2,
      batchSize: 2,
      trainable: 'router',
      domains: ['wiki'],
    });
    const { model: before } = await loadModel(join(dir, 'up'), { feedForwards: moeFeedForwards });
    const { model: after } = await loadModel(join(dir, 'up-router'), { feedForwards: moeFeedForwards });
    const a = before.stateDict();
    const b = after.stateDict();
    for (const k of Object.keys(a)) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a[k]!, b[k]!))).dataSync()[0]!);
      if (k.includes('.ff.router.')) expect(diff, k).toBeGreaterThan(0);
      else expect(diff, k).toBe(0);
    }
    after.dispose();
    // Constant live-tensor count across a full MoE training stage (warm-up stage first: routing stats).
    await trainStage(before, { domains: ['arith', 'code'], steps: 2, batchSize: 2 });
    const n0 = tf.memory().numTensors;
    await trainStage(before, { domains: ['arith'], steps: 3, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(n0);
    expect(before.blocks[0]!.ff).toBeInstanceOf(MoEFeedForward);
    before.dispose();
  });

  it('BTM: identical experts give the single model; the posterior starts at the prior and follows the likelihood', () => {
    const m1 = new TransformerLM({ ...BASE, seed: 11 });
    const m2 = new TransformerLM({ ...BASE, seed: 12 });
    const x = tokens(4);
    const single = tf.tidy(() =>
      tf.logSoftmax(m1.forward(tf.slice(x, [0, 0], [2, 11]) as tf.Tensor2D).logits),
    );
    const same = btmLogProbs([m1, m1, m1], x, { topK: 2 });
    expectClose(same.dataSync(), single.dataSync(), 1e-5);
    const both = btmLogProbs([m1, m2], x);
    const top1 = btmLogProbs([m1, m2], x, { topK: 1 });
    const [p1, p2] = [m1, m2].map((m) =>
      tf.tidy(() => tf.softmax(m.forward(tf.slice(x, [0, 0], [2, 11]) as tf.Tensor2D).logits)),
    );
    const v = CHAR_VOCAB_SIZE;
    const b = both.dataSync();
    const a1 = p1!.dataSync();
    const a2 = p2!.dataSync();
    // Position 0: no prefix, uniform prior.
    for (let i = 0; i < v; i++) expect(Math.exp(b[i]!)).toBeCloseTo(0.5 * a1[i]! + 0.5 * a2[i]!, 5);
    // Last position of row 0: top-1 is the model with the larger prefix likelihood.
    const ids = x.arraySync()[0]!;
    let ll1 = 0;
    let ll2 = 0;
    for (let t = 0; t < 10; t++) {
      ll1 += Math.log(a1[t * v + ids[t + 1]!]!);
      ll2 += Math.log(a2[t * v + ids[t + 1]!]!);
    }
    const pick = ll1 > ll2 ? a1 : a2;
    const t1 = top1.dataSync();
    for (let i = 0; i < v; i++) expect(Math.exp(t1[10 * v + i]!)).toBeCloseTo(pick[10 * v + i]!, 5);
    tf.dispose([x, single, same, both, top1, p1!, p2!]);
    m1.dispose();
    m2.dispose();
  });
});
