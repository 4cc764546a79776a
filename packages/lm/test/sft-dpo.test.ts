import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  initBackend,
  loadModel,
  nextTokenLoss,
  Rng,
  TransformerLM,
  tf,
  train,
  VocabTokenizer,
} from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeak } from '../../core/test/helpers.js';
import {
  completionLoss,
  dpo,
  LocalModel,
  type PreferencePair,
  preferenceMetrics,
  type SftExample,
  sft,
  toConversational,
  toStandard,
} from '../src/index.js';

const LETTERS = 'defgh';
let tok: VocabTokenizer;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  tok = VocabTokenizer.fromCorpus(['abcdefghnoy=:'], { level: 'char' });
});

function fresh(seed = 5): LocalModel {
  const lm = new TransformerLM({
    vocabSize: tok.vocabSize,
    dModel: 32,
    nLayers: 2,
    nHeads: 2,
    maxSeqLen: 32,
    seed,
  });
  return new LocalModel(lm, tok);
}

/** Prompt: a periodic, easily learnt prefix then a letter; completion: that letter three times. */
function sftExamples(count: number, seed: number): SftExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const l = LETTERS[rng.nextInt(LETTERS.length)]!;
    return { prompt: `abcabcab${l}=`, completion: l.repeat(3) };
  });
}

/** Mean next-token loss on prompt positions only (the part SFT must not train). */
function promptLoss(local: LocalModel, examples: SftExample[]): number {
  const rows = examples.map((e) => [tok.bosId!, ...tok.encode(e.prompt as string)]);
  const tokens = tf.tensor2d(rows, undefined, 'int32');
  local.model.eval();
  const loss = nextTokenLoss(local.model, { tokens });
  const v = loss.dataSync()[0]!;
  tf.dispose([tokens, loss]);
  local.model.train(true);
  return v;
}

describe('sft', () => {
  it('one step equals a train() step with a hand-built completion-only mask', async () => {
    const examples = sftExamples(4, 1);
    const a = fresh();
    await sft(a, examples, { steps: 1, batchSize: 4, lr: 1e-2, progress: 'none', appendEos: false });

    const b = fresh();
    const rows = examples.map((e) => [
      tok.bosId!,
      ...tok.encode(e.prompt as string),
      ...tok.encode(e.completion as string),
    ]);
    const promptLen = 1 + (examples[0]!.prompt as string).length;
    // Same order as sft's first shuffled batch does not matter: the loss is a mean over one full batch.
    const mask = rows.map((r) => r.map((_, t) => (t >= promptLen ? 1 : 0)));
    const result = await train({
      model: b.model,
      steps: 1,
      progress: 'none',
      maxGradNorm: 1,
      optimizer: { lr: 1e-2, weightDecay: 0 },
      data: [{ tokens: tf.tensor2d(rows, undefined, 'int32'), lossMask: tf.tensor2d(mask) }],
    });
    result.optimizer.dispose();
    const pa = a.model.parameters();
    const pb = b.model.parameters();
    for (let i = 0; i < pa.length; i++) expectClose(pa[i]!.dataSync(), pb[i]!.dataSync(), 1e-5, 1e-4);
  });

  it('lowers held-out completion loss without learning the prompt', async () => {
    const trainSet = sftExamples(64, 2);
    const heldOut = sftExamples(16, 3);
    const local = fresh();
    const before = await completionLoss(local, heldOut);
    const promptBefore = promptLoss(local, heldOut);
    const run = await expectNoLeak(() =>
      sft(local, trainSet, {
        steps: 40,
        batchSize: 16,
        lr: 1e-2,
        evalEvery: 20,
        progress: 'none',
        evalExamples: heldOut,
      }),
    );
    const after = await completionLoss(local, heldOut);
    expect(after).toBeLessThan(before * 0.5);
    expect(run.lastEval!.loss).toBeLessThan(before * 0.5);

    // Control: the same training on whole sequences learns the periodic prompt fast.
    const control = fresh();
    const rows = trainSet.map((e) => [tok.bosId!, ...tok.encode(`${e.prompt}${e.completion}`), tok.eosId!]);
    const rng = new Rng(0);
    const r = await train({
      model: control.model,
      steps: 40,
      progress: 'none',
      maxGradNorm: 1,
      optimizer: { lr: 1e-2, weightDecay: 0 },
      data: (function* () {
        for (;;) {
          const idx = Array.from({ length: 16 }, () => rng.nextInt(rows.length));
          yield {
            tokens: tf.tensor2d(
              idx.map((i) => rows[i]!),
              undefined,
              'int32',
            ),
          };
        }
      })(),
    });
    r.optimizer.dispose();
    const dropSft = promptBefore - promptLoss(local, heldOut);
    const dropFull = promptBefore - promptLoss(control, heldOut);
    expect(dropFull).toBeGreaterThan(1);
    expect(dropSft).toBeLessThan(0.25 * dropFull);
  });
});

/** Chosen answers start with "yy", rejected ones with "nn"; prompts are random letters. */
function pairs(count: number, seed: number): PreferencePair[] {
  const rng = new Rng(seed);
  const pick = (n: number) => Array.from({ length: n }, () => 'abcdefgh'[rng.nextInt(8)]).join('');
  return Array.from({ length: count }, () => ({
    prompt: `${pick(4)}:`,
    chosen: `yy${pick(1)}`,
    rejected: `nn${pick(1)}`,
  }));
}

describe('dpo', () => {
  it('raises the chosen-over-rejected margin on held-out pairs; the reference stays frozen', async () => {
    const policy = fresh(11);
    const reference = fresh(11);
    const heldOut = pairs(16, 7);
    const refBefore = await reference.logProbs('abcd:', 'yya');
    const before = await preferenceMetrics(policy, reference, heldOut);
    expect(Math.abs(before.rewardMargin)).toBeLessThan(1e-4); // identical weights

    const run = await expectNoLeak(() =>
      dpo(policy, reference, pairs(64, 8), {
        beta: 0.5,
        steps: 30,
        batchSize: 8,
        lr: 5e-3,
        evalEvery: 15,
        evalPairs: heldOut,
        progress: 'none',
      }),
    );
    const after = await preferenceMetrics(policy, reference, heldOut);
    expect(after.logpMargin).toBeGreaterThan(before.logpMargin + 2);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(run.lastEval!.rewardMargin).toBeCloseTo(after.rewardMargin, 3);
    expect(run.losses.at(-1)!).toBeLessThan(run.losses[0]!);
    const refAfter = await reference.logProbs('abcd:', 'yya');
    expect(refAfter.logprobs).toEqual(refBefore.logprobs);
  });

  it('its first-step loss is the DPO formula, computed by hand from policy and reference log-probs', async () => {
    // Different seeds, so the reference terms matter (identical models would hide a dropped reference).
    const policy = fresh(21);
    const reference = fresh(22);
    const batch = pairs(6, 23);
    const [beta, nllWeight] = [0.5, 0.7];
    const score = (m: LocalModel, side: 'chosen' | 'rejected') =>
      m.logProbsBatch(batch.map((p) => ({ prompt: p.prompt as string, continuation: p[side] as string })));
    const [pw, pl, rw, rl] = await Promise.all([
      score(policy, 'chosen'),
      score(policy, 'rejected'),
      score(reference, 'chosen'),
      score(reference, 'rejected'),
    ]);
    let pref = 0;
    let nll = 0;
    batch.forEach((_, i) => {
      const margin = pw[i]!.total - rw[i]!.total - (pl[i]!.total - rl[i]!.total);
      pref += Math.log1p(Math.exp(-beta * margin)); // -log sigmoid(beta * margin)
      nll += -pw[i]!.total / pw[i]!.logprobs.length;
    });
    const expected = pref / batch.length + (nllWeight * nll) / batch.length;
    const run = await dpo(policy, reference, batch, {
      beta,
      nllWeight,
      steps: 1,
      batchSize: batch.length,
      lr: 1e-3,
      appendEos: false,
      progress: 'none',
    });
    expect(run.losses[0]!).toBeCloseTo(expected, 4);
  });

  it('the NLL term keeps the chosen likelihood up', async () => {
    const train = pairs(32, 9);
    const heldOut = pairs(8, 10);
    const chosenLogp = async (m: LocalModel) =>
      (
        await m.logProbsBatch(
          heldOut.map((p) => ({ prompt: p.prompt as string, continuation: p.chosen as string })),
        )
      ).reduce((a, r) => a + r.total, 0);
    const plain = fresh(12);
    const withNll = fresh(12);
    const reference = fresh(12);
    const opts = { beta: 0.5, steps: 15, batchSize: 8, lr: 5e-3, progress: 'none' as const };
    await dpo(plain, reference, train, opts);
    await dpo(withNll, reference, train, { ...opts, nllWeight: 1 });
    expect(await chosenLogp(withNll)).toBeGreaterThan(await chosenLogp(plain));
  });

  it('treats conversational examples as their template-rendered standard form', async () => {
    const local = fresh();
    const conv = sftExamples(4, 6).map((e) => toConversational(e));
    const std = conv.map((e) => toStandard(e, local.template));
    expect(std[0]!.prompt).toMatch(/^User: abcabcab.=\nAssistant:$/);
    expect(await completionLoss(local, conv)).toBeCloseTo(await completionLoss(local, std), 6);
  });

  it('saves checkpoints that load back to the trained weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lab-lm-ckpt-'));
    try {
      const local = fresh();
      await sft(local, sftExamples(8, 4), {
        steps: 3,
        batchSize: 4,
        checkpointEvery: 2,
        checkpointDir: dir,
        progress: 'none',
      });
      expect((await readdir(dir)).sort()).toEqual(['step-2', 'step-3']);
      const loaded = await loadModel(join(dir, 'step-3'));
      expect(loaded.metadata).toMatchObject({ trainer: 'sft', step: '3' });
      expect(loaded.tokenizer!.vocabSize).toBe(tok.vocabSize);
      const a = local.model.parameters();
      const b = loaded.model.parameters();
      for (let i = 0; i < a.length; i++) expectClose(b[i]!.dataSync(), a[i]!.dataSync(), 0, 0);
      loaded.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options before training', async () => {
    const p = fresh();
    await expect(dpo(p, p, pairs(2, 1), { beta: -1 })).rejects.toMatchObject({ code: 'LM_INVALID_CONFIG' });
    await expect(sft(p, sftExamples(2, 1), { steps: 0 })).rejects.toMatchObject({
      code: 'LM_INVALID_CONFIG',
    });
    await expect(sft(p, [{ prompt: 'a'.repeat(40), completion: 'b' }])).rejects.toMatchObject({
      code: 'LM_EXAMPLE_TOO_LONG',
    });
  });
});
