import { initBackend, TransformerLM, tf } from '@lab/core';
import { completionLoss, LocalModel } from '@lab/lm';
import { beforeAll, expect, it } from 'vitest';
import { seedCorpus, tinyTokenizer, trainTinySeed } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

it('trainTinySeed runs both phases, lowers held-out transcript loss and leaks no tensors', async () => {
  const arch = { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 96 };
  // Held-out judge transcripts from a seed neither phase uses (phases use 5 and 6).
  const heldOut = seedCorpus({ solutions: 0, transcripts: 32, seed: 99 });
  const untrained = new TransformerLM({ vocabSize: tinyTokenizer().vocabSize, ...arch, seed: 5 });
  const before = await completionLoss(new LocalModel(untrained, tinyTokenizer()), heldOut);
  untrained.dispose();

  const { model, lm, runs } = await trainTinySeed({
    architecture: arch,
    solutions: 40,
    transcripts: 160,
    judgeTranscripts: 160,
    phase1Steps: 30,
    phase2Steps: 20,
    seed: 5,
  });
  expect(runs.map((r) => r.steps)).toEqual([30, 20]);
  const after = await completionLoss(lm, heldOut);
  expect(after).toBeLessThan(before - 0.5);

  // Continuing keeps the same model object and trains it further; phase 2 skipped at 0 steps.
  // Measured on the warm model: training allocates nothing that outlives the call.
  const tensorsBefore = tf.memory().numTensors;
  const more = await trainTinySeed({ model, phase1Steps: 5, phase2Steps: 0, solutions: 8, transcripts: 8 });
  expect(more.model).toBe(model);
  expect(more.runs).toHaveLength(1);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  model.dispose();
}, 60_000);
