import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  AdamW,
  LabError,
  type LMBatch,
  nextTokenLoss,
  type StepInfo,
  TransformerLM,
  train,
  warmupCosineSchedule,
} from '../../src/index.js';
import { seededRandom } from '../generate/random.js';
import { ToyLM } from '../generate/toy-lm.js';
import { describeBackends, expectClose } from '../helpers.js';

const VOCAB = 7;

/** Rows counting up mod VOCAB from a random start: next token = token + 1. */
function* countingBatches(seed: number, count: number, batch = 4, seq = 6): Generator<LMBatch> {
  const rand = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const data: number[] = [];
    for (let b = 0; b < batch; b++) {
      const start = Math.floor(rand() * VOCAB);
      for (let t = 0; t < seq; t++) data.push((start + t) % VOCAB);
    }
    yield { tokens: tf.tensor2d(data, [batch, seq], 'int32') };
  }
}

describeBackends('train()', () => {
  it('lowers the loss on a learnable task, keeps the tensor count constant, evaluates and logs lines', async () => {
    const model = new ToyLM(VOCAB, 8, 16, 3);
    const counts: number[] = [];
    const lines: string[] = [];
    const evalSteps: number[] = [];
    const result = await train({
      model,
      steps: 60,
      data: countingBatches(1, 1000),
      optimizer: { lr: 0.05, weightDecay: 0 },
      maxGradNorm: 1,
      evalEvery: 20,
      evalData: () => countingBatches(99, 2),
      progress: 'lines',
      logEvery: 20,
      log: (l) => lines.push(l),
      callbacks: {
        onStep: () => {
          counts.push(tf.memory().numTensors);
        },
        onEval: (step, m) => {
          evalSteps.push(step);
          expect(m.loss).toBeGreaterThan(0);
        },
      },
    });
    expect(result.steps).toBe(60);
    expect(result.stopReason).toBe('steps');
    expect(new Set(counts.slice(1)).size).toBe(1);
    const first = result.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = result.losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(first).toBeGreaterThan(Math.log(VOCAB) * 0.6);
    expect(last).toBeLessThan(first * 0.3);
    expect(evalSteps).toEqual([20, 40, 60]);
    expect(result.evals.at(-1)!.metrics.loss).toBeLessThan(first * 0.3);
    expect(lines.some((l) => /^step +1\/60 {2}loss \d/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('eval at step 20'))).toBe(true);
    result.optimizer.dispose();
    model.dispose();
  });

  it('is deterministic and gradient accumulation equals one step on the joined batch', async () => {
    const run = async (accum: number, batch: number) => {
      const model = new ToyLM(VOCAB, 8, 16, 5);
      const batches = [...countingBatches(7, 4, 4, 5)];
      // Join pairs when the step should see 8 rows at once.
      const data =
        batch === 8
          ? [0, 2].map((i) => {
              const joined = {
                tokens: tf.concat([batches[i]!.tokens, batches[i + 1]!.tokens]) as tf.Tensor2D,
              };
              tf.dispose([batches[i]!.tokens, batches[i + 1]!.tokens]);
              return joined;
            })
          : batches;
      const r = await train({
        model,
        steps: 2,
        data,
        gradAccumSteps: accum,
        optimizer: { lr: 0.01 },
        progress: 'none',
      });
      const w = model.head.dataSync().slice();
      r.optimizer.dispose();
      model.dispose();
      return { losses: r.losses, w };
    };
    const a = await run(2, 4);
    const b = await run(1, 8);
    const c = await run(2, 4);
    expect(c.losses).toEqual(a.losses);
    expect(Array.from(c.w)).toEqual(Array.from(a.w));
    expectClose(a.losses, b.losses, 1e-5);
    expectClose(a.w, b.w, 1e-5);
  });

  it('stops on a NaN loss with TRAIN_NON_FINITE naming the step, before updating', async () => {
    const model = new ToyLM(VOCAB, 8, 16, 3);
    let seen = 0;
    let before: Float32Array | null = null;
    const err = await train({
      model,
      steps: 10,
      data: countingBatches(2, 10),
      progress: 'none',
      loss: (batch: LMBatch) => {
        seen++;
        const l = nextTokenLoss(model, batch);
        return seen === 4 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
      },
      callbacks: {
        onStep: (info: StepInfo) => {
          if (info.step === 3) before = model.head.dataSync().slice() as Float32Array;
        },
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('TRAIN_NON_FINITE');
    expect((err as LabError).context.step).toBe(4);
    expect((err as LabError).message).toMatch(/step 4/);
    expect(Array.from(model.head.dataSync())).toEqual(Array.from(before!));
    model.dispose();
  });

  it('stops when a callback returns false, accepts an async iterator and a given optimizer', async () => {
    const model = new ToyLM(VOCAB, 8, 16, 3);
    const optimizer = new AdamW(model.namedParameters(), { lr: 0.01 });
    async function* data() {
      yield* countingBatches(3, 10);
    }
    const start = tf.memory().numTensors;
    const r = await train({
      model,
      optimizer,
      steps: 10,
      data: data(),
      progress: 'none',
      callbacks: { onStep: (i) => i.step < 3 },
    });
    expect(r.steps).toBe(3);
    expect(r.stopReason).toBe('callback');
    expect(optimizer.step).toBe(3);
    // The 7 batches never drawn stay with the generator; nothing of the loop's is left.
    expect(tf.memory().numTensors).toBe(start);
    optimizer.dispose();
    model.dispose();
  });

  it('trains a TransformerLM (cosine schedule, clipping, accumulation) with a constant tensor count', async () => {
    const model = new TransformerLM({
      vocabSize: VOCAB,
      dModel: 16,
      nLayers: 1,
      nHeads: 2,
      maxSeqLen: 16,
      seed: 1,
    });
    const counts: number[] = [];
    const r = await train({
      model,
      steps: 40,
      gradAccumSteps: 2,
      maxGradNorm: 1,
      data: countingBatches(5, 1000),
      optimizer: { lr: warmupCosineSchedule({ peakLr: 0.02, warmupSteps: 5, totalSteps: 40 }) },
      progress: 'none',
      callbacks: { onStep: () => counts.push(tf.memory().numTensors) },
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    const first = r.losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = r.losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(last).toBeLessThan(first * 0.5);
    expect(r.optimizer.decayedNames().every((n) => !n.includes('bias'))).toBe(true);
    r.optimizer.dispose();
    model.dispose();
  });
});
