import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, TransformerLM, tf } from '@lab/core';
import { LocalModel, sft } from '@lab/lm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloneLocalModel,
  type DpoRecord,
  localTrainer,
  type SftRecord,
  seedCorpus,
  type TrainingJob,
  tinyTokenizer,
} from '../src/index.js';

let dir: string;
let seed: LocalModel;
const tok = tinyTokenizer();

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  dir = await mkdtemp(join(tmpdir(), 'judge-loop-train-'));
  const lm = new TransformerLM({
    vocabSize: tok.vocabSize,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    maxSeqLen: 64,
    seed: 3,
  });
  seed = new LocalModel(lm, tok, { id: 'seed' });
});
afterAll(async () => {
  (seed.model as TransformerLM).dispose();
  await rm(dir, { recursive: true, force: true });
});

function sftRecords(n: number, s: number): SftRecord[] {
  return seedCorpus({ solutions: 0, transcripts: n, seed: s }).map((e, i) => ({
    prompt: e.prompt as string,
    completion: e.completion as string,
    id: `r${i}`,
    pair_id: `p${i}`,
    order: i % 2 ? '1_0' : '0_1',
    gold: i % 2 ? 'B' : 'A',
  }));
}

function dpoRecords(n: number): DpoRecord[] {
  return sftRecords(n, 9).map((r) => ({
    prompt: r.prompt,
    chosen: r.completion,
    rejected: r.completion.replace(/\[\[[ABC]\]\]$/, '[[C]]'),
    id: r.id,
    pair_id: r.pair_id,
    order: r.order,
    gold: r.gold,
  }));
}

function job(iteration: number, method: 'sft' | 'dpo', previous: LocalModel, sub: string): TrainingJob {
  return {
    iteration,
    method,
    sft: sftRecords(12, iteration),
    dpo: method === 'dpo' ? dpoRecords(8) : [],
    files: { sft: '', dpo: null },
    dir: join(dir, sub, `iter-${iteration}`),
    previous,
  };
}

function expectClose(a: readonly number[], b: readonly number[], atol: number, rtol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(atol + rtol * Math.abs(b[i]!));
}

const weights = (m: LocalModel) => m.model.parameters().map((p) => Array.from(p.dataSync()));

describe('localTrainer', () => {
  it('SFT restarts from the seed: M2 equals the seed fine-tuned on iteration 2 data alone', async () => {
    const seedBefore = weights(seed);
    const train = localTrainer({ seed, sft: { lr: 1e-2, epochs: 1, batchSize: 4 }, checkpoint: false });
    const m1 = (await train(job(1, 'sft', seed, 'restart'))) as LocalModel;
    // The trainer disposes M1 once M2 exists; keep a copy for the continue-from-previous arm.
    const m1Copy = cloneLocalModel(m1);
    const m2 = (await train(job(2, 'sft', m1, 'restart'))) as LocalModel;
    // Reference: a copy of the seed, trained directly with the same options.
    const ref = cloneLocalModel(seed);
    await sft(ref, job(2, 'sft', seed, 'x').sft, {
      steps: 3,
      batchSize: 4,
      lr: 1e-2,
      seed: 2,
      progress: 'none',
    });
    const a = weights(m2);
    const b = weights(ref);
    for (let i = 0; i < a.length; i++) expectClose(a[i]!, b[i]!, 1e-6, 1e-5);
    // The seed itself is never modified.
    const s = weights(seed);
    for (let i = 0; i < s.length; i++) expect(s[i]).toEqual(seedBefore[i]);
    // Continue-from-previous starts from M1 instead, so it differs.
    const cont = localTrainer({
      seed,
      restartFromSeed: false,
      sft: { lr: 1e-2, epochs: 1, batchSize: 4 },
      checkpoint: false,
    });
    const c2 = (await cont(job(2, 'sft', m1Copy, 'continue'))) as LocalModel;
    expect(weights(c2)[0]).not.toEqual(a[0]);
    for (const m of [m2, ref, c2, m1Copy]) (m.model as TransformerLM).dispose();
  });

  it('keeps the live-tensor count flat across iterations (SFT, then DPO+NLL), no leaks', async () => {
    const train = localTrainer({
      seed,
      sft: { epochs: 1, batchSize: 4 },
      dpo: { epochs: 1, batchSize: 4 },
      checkpoint: false,
    });
    const before = tf.memory().numTensors;
    const m1 = (await train(job(1, 'sft', seed, 'leak'))) as LocalModel;
    const params = m1.model.parameters().length;
    expect(tf.memory().numTensors - before).toBe(params);
    const m2 = (await train(job(2, 'sft', m1, 'leak'))) as LocalModel;
    // M1 was disposed when M2 arrived: one model's worth of tensors, no more.
    expect(tf.memory().numTensors - before).toBe(params);
    const m3 = (await train(job(3, 'dpo', m2, 'leak'))) as LocalModel;
    expect(tf.memory().numTensors - before).toBe(params);
    (m3.model as TransformerLM).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves M_i and reloads it on a rerun instead of training again', async () => {
    const train = localTrainer({ seed, sft: { lr: 1e-2, epochs: 1, batchSize: 4 } });
    const m1 = (await train(job(1, 'sft', seed, 'ckpt'))) as LocalModel;
    const again = localTrainer({ seed, sft: { lr: 1e-2, epochs: 1, batchSize: 4 } });
    // The rerun gets no training data: training again would throw ("no SFT
    // records"), so getting M1's weights back proves they were reloaded.
    const r1 = (await again({ ...job(1, 'sft', seed, 'ckpt'), sft: [] })) as LocalModel;
    const a = weights(m1);
    const b = weights(r1);
    for (let i = 0; i < a.length; i++) expect(b[i]).toEqual(a[i]);
    for (const m of [m1, r1]) (m.model as TransformerLM).dispose();
  });

  it('refuses an empty iteration unless told to keep the previous model', async () => {
    const empty = { ...job(1, 'sft', seed, 'empty'), sft: [] };
    await expect(localTrainer({ seed, checkpoint: false })(empty)).rejects.toThrow(/no SFT records/);
    expect(await localTrainer({ seed, checkpoint: false, ifNoData: 'keep-previous' })(empty)).toBe(seed);
  });
});
