/**
 * End to end in both modes: a tiny GPT (TransformerLM + AdamW + masked
 * cross-entropy from @lab/core) trained 10 steps from the same weights with
 * the accelerator on and off gives the same losses to 1e-4, the same final
 * weights to float32 rounding, uses the accelerated kernels, and keeps the
 * live-tensor count constant per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { AdamW, initBackend, maskedCrossEntropy, TransformerLM } from '../../core/src/index.js';
import { addonObject, expectClose } from './helpers.js';

const BATCH = 4;
const SEQ = 16;
const VOCAB = 40;

function batches(): { inputs: tf.Tensor2D; targets: tf.Tensor2D }[] {
  let s = 7;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % VOCAB;
  };
  return Array.from({ length: 3 }, () => {
    const rows = Array.from({ length: BATCH }, () => Array.from({ length: SEQ + 1 }, next));
    const all = tf.tensor2d(rows, [BATCH, SEQ + 1], 'int32');
    const inputs = tf.slice(all, [0, 0], [BATCH, SEQ]) as tf.Tensor2D;
    const targets = tf.slice(all, [0, 1], [BATCH, SEQ]) as tf.Tensor2D;
    all.dispose();
    return { inputs, targets };
  });
}

async function train(
  native: boolean,
): Promise<{ losses: number[]; weights: Float32Array[]; counts: number[] }> {
  const info = await initBackend({ prefer: 'wasm', native });
  expect(info.accelerator.enabled, info.accelerator.reason).toBe(native);
  const model = new TransformerLM({
    vocabSize: VOCAB,
    dModel: 32,
    nLayers: 2,
    nHeads: 4,
    maxSeqLen: SEQ,
    position: { kind: 'absolute' },
    feedForward: { kind: 'mlp', activation: 'gelu' },
    seed: 3,
  });
  const opt = new AdamW(model.namedParameters(), { lr: 3e-3, weightDecay: 0.01 });
  const data = batches();
  const losses: number[] = [];
  const counts: number[] = [];
  for (let step = 0; step < 10; step++) {
    const b = data[step % data.length]!;
    const { value, grads } = tf.variableGrads(
      () => maskedCrossEntropy(model.forward(b.inputs).logits, b.targets),
      model.parameters(),
    );
    opt.applyGradients(grads);
    losses.push((await value.data())[0]!);
    tf.dispose([value, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  const weights = await Promise.all(model.parameters().map(async (p) => (await p.data()) as Float32Array));
  for (const b of data) tf.dispose([b.inputs, b.targets]);
  opt.dispose();
  model.dispose();
  return { losses, weights, counts };
}

describe('tiny GPT training with and without the accelerator', () => {
  it('gives the same loss curve and weights, with no leak', async () => {
    const plain = await train(false);
    const addon = addonObject();
    const spies = (['sgemm', 'gelu', 'layerNormGrad', 'scatterAddRows', 'adamw', 'copyRows'] as const).map(
      (name) => vi.spyOn(addon, name),
    );
    const fast = await train(true);
    for (const spy of spies) expect(spy, spy.getMockName()).toHaveBeenCalled();
    vi.restoreAllMocks();
    expect(fast.losses[9]!).toBeLessThan(fast.losses[0]!); // it learns
    expectClose(fast.losses, plain.losses, 1e-4, 0);
    for (let i = 0; i < plain.weights.length; i++)
      expectClose(fast.weights[i]!, plain.weights[i]!, 1e-4, 1e-3);
    // Constant live tensors from the second step on, in both modes.
    for (const run of [plain, fast]) expect(new Set(run.counts.slice(1)).size).toBe(1);
  });
});
