/**
 * Direct Preference Optimization (Rafailov et al. 2023, eq. 7) of a LocalModel
 * on {prompt, chosen, rejected} pairs against a frozen reference:
 *   loss = -log σ(β · [(log π(y_w|x) - log π_ref(y_w|x)) - (log π(y_l|x) - log π_ref(y_l|x))])
 *          + nllWeight · (−log π(y_w|x) / |y_w|)
 * The optional NLL term on the chosen answer is the one of iterative RPO
 * (Pang et al. 2024), TRL's `rpo_alpha`. Reference log-probabilities are
 * computed once before training, so the reference is frozen by construction
 * (passing the policy itself as reference means "the policy as it starts").
 */
import { LabError, sequenceLogProbs, tf, train } from '@lab/core';
import { z } from 'zod';
import type { PreferencePair } from './formats.js';
import type { LocalModel } from './local-model.js';
import {
  checkpointHook,
  type EncodedRow,
  encodeRow,
  fixedBatches,
  indexBatches,
  padRows,
  parseTrainingOptions,
  type TrainingOptionsInput,
  type TrainingRun,
} from './train-data.js';

export const DpoLossConfigSchema = z.strictObject({
  /** Strength of the implicit KL penalty; the paper and TRL default to 0.1. */
  beta: z.number().positive().default(0.1),
  /** Weight of the per-token NLL of the chosen answer (0 = plain DPO). */
  nllWeight: z.number().min(0).default(0),
});

export interface DpoOptions extends TrainingOptionsInput {
  beta?: number;
  nllWeight?: number;
  /** Held-out pairs: evaluation reports `loss`, `rewardMargin`, `logpMargin` and `accuracy` on them. */
  evalPairs?: readonly PreferencePair[];
}

interface EncodedPair {
  chosen: EncodedRow;
  rejected: EncodedRow;
}

interface DpoBatch {
  /** [2B, width]: B chosen rows then B rejected rows. */
  tokens: tf.Tensor2D;
  answerMask: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  /** [B] reference sums. */
  refChosen: tf.Tensor1D;
  refRejected: tf.Tensor1D;
  /** [B] answer tokens of each chosen row. */
  chosenLength: tf.Tensor1D;
}

function encodePairs(
  local: LocalModel,
  pairs: readonly PreferencePair[],
  appendEos: boolean,
  what: string,
): EncodedPair[] {
  return pairs.map((p, i) => ({
    chosen: encodeRow(local, p.prompt, p.chosen, appendEos, `${what} #${i} (chosen)`),
    rejected: encodeRow(local, p.prompt, p.rejected, appendEos, `${what} #${i} (rejected)`),
  }));
}

/** Sum of answer-token log-probabilities per row under `model` (eval mode, no gradients). */
async function scoreRows(local: LocalModel, rows: readonly EncodedRow[], batchSize = 16): Promise<number[]> {
  const padId = local.tokenizer.padId ?? 0;
  const wasTraining = (local.model as { training?: boolean }).training;
  local.model.eval();
  const out: number[] = [];
  try {
    for (const idx of fixedBatches(rows.length, batchSize)) {
      const { tokens, answerMask, attentionMask } = padRows(
        idx.map((i) => rows[i]!),
        padId,
      );
      const { sums, perToken } = sequenceLogProbs(local.model, tokens, answerMask, { attentionMask });
      out.push(...(await sums.data()));
      tf.dispose([tokens, answerMask, attentionMask, sums, perToken]);
    }
  } finally {
    if (wasTraining === true) local.model.train(true);
  }
  return out;
}

function makeBatch(
  pairs: EncodedPair[],
  refChosen: number[],
  refRejected: number[],
  padId: number,
): DpoBatch {
  const rows = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const { tokens, answerMask, attentionMask } = padRows(rows, padId);
  return {
    tokens,
    answerMask,
    attentionMask,
    refChosen: tf.tensor1d(refChosen),
    refRejected: tf.tensor1d(refRejected),
    chosenLength: tf.tensor1d(pairs.map((p) => p.chosen.ids.length - p.chosen.promptLength)),
  };
}

/**
 * The DPO (+ NLL) loss of one batch under `local.model`: a scalar. No tidy of
 * its own: train() runs it inside variableGrads, which frees intermediates, and
 * an inner tidy would free tensors the backward pass still needs.
 */
function dpoLoss(local: LocalModel, batch: DpoBatch, beta: number, nllWeight: number): tf.Scalar {
  const b = batch.refChosen.shape[0];
  const { sums } = sequenceLogProbs(local.model, batch.tokens, batch.answerMask, {
    attentionMask: batch.attentionMask,
  }); // [2B]
  const chosen = tf.slice(sums, [0], [b]); // [B]
  const rejected = tf.slice(sums, [b], [b]); // [B]
  const margin = tf.sub(tf.sub(chosen, batch.refChosen), tf.sub(rejected, batch.refRejected)); // [B]
  // -log σ(z) = softplus(-z), written with softplus for stability at large |z|.
  const preference = tf.mean(tf.softplus(tf.neg(tf.mul(margin, beta)))); // []
  if (nllWeight === 0) return preference as tf.Scalar;
  const nll = tf.neg(tf.mean(tf.div(chosen, batch.chosenLength))); // []
  return tf.add(preference, tf.mul(nll, nllWeight)) as tf.Scalar;
}

/** Preference statistics of `policy` against reference sums, for evaluation and tests. */
export interface PreferenceMetrics {
  /** Mean of log π(chosen) − log π(rejected). */
  logpMargin: number;
  /** Mean implicit reward margin (policy − reference, chosen minus rejected). */
  rewardMargin: number;
  /** Fraction of pairs with a positive reward margin. */
  accuracy: number;
}

/**
 * Margins of `policy` on `pairs`, relative to `reference`.
 *
 * @example
 * ```ts
 * const { logpMargin } = await preferenceMetrics(policy, reference, heldOutPairs);
 * ```
 */
export async function preferenceMetrics(
  policy: LocalModel,
  reference: LocalModel,
  pairs: readonly PreferencePair[],
  options: { appendEos?: boolean } = {},
): Promise<PreferenceMetrics> {
  const encoded = encodePairs(policy, pairs, options.appendEos ?? true, 'pair');
  const refC = await scoreRows(
    reference,
    encoded.map((p) => p.chosen),
  );
  const refR = await scoreRows(
    reference,
    encoded.map((p) => p.rejected),
  );
  return metricsFrom(policy, encoded, refC, refR);
}

async function metricsFrom(
  policy: LocalModel,
  encoded: EncodedPair[],
  refC: number[],
  refR: number[],
): Promise<PreferenceMetrics> {
  const c = await scoreRows(
    policy,
    encoded.map((p) => p.chosen),
  );
  const r = await scoreRows(
    policy,
    encoded.map((p) => p.rejected),
  );
  let logp = 0;
  let reward = 0;
  let wins = 0;
  for (let i = 0; i < encoded.length; i++) {
    const m = c[i]! - refC[i]! - (r[i]! - refR[i]!);
    logp += c[i]! - r[i]!;
    reward += m;
    if (m > 0) wins++;
  }
  const n = Math.max(encoded.length, 1);
  return { logpMargin: logp / n, rewardMargin: reward / n, accuracy: wins / n };
}

/**
 * Trains `policy.model` in place with DPO against `reference`.
 *
 * @example
 * ```ts
 * const run = await dpo(policy, reference, pairs, { beta: 0.1, nllWeight: 1, steps: 100 });
 * ```
 */
export async function dpo(
  policy: LocalModel,
  reference: LocalModel,
  pairs: readonly PreferencePair[],
  options: DpoOptions = {},
): Promise<TrainingRun> {
  const { beta: betaIn, nllWeight: nllIn, evalPairs, ...rest } = options;
  const lossConfig = DpoLossConfigSchema.safeParse({ beta: betaIn, nllWeight: nllIn });
  if (!lossConfig.success) {
    throw new LabError('LM_INVALID_CONFIG', `dpo options:\n${z.prettifyError(lossConfig.error)}`, {});
  }
  const { beta, nllWeight } = lossConfig.data;
  const config = parseTrainingOptions('dpo', rest);
  if (
    reference.model.vocabSize !== policy.model.vocabSize ||
    reference.tokenizer.vocabSize !== policy.tokenizer.vocabSize
  ) {
    throw new LabError('LM_INVALID_CONFIG', 'dpo: policy and reference must share a vocabulary', {
      policy: policy.model.vocabSize,
      reference: reference.model.vocabSize,
    });
  }
  if (pairs.length === 0) throw new LabError('LM_INVALID_CONFIG', 'dpo: no pairs', {});

  const encoded = encodePairs(policy, pairs, config.appendEos, 'dpo pair');
  const refC = await scoreRows(
    reference,
    encoded.map((p) => p.chosen),
  );
  const refR = await scoreRows(
    reference,
    encoded.map((p) => p.rejected),
  );
  const evalEncoded = evalPairs ? encodePairs(policy, evalPairs, config.appendEos, 'dpo eval pair') : null;
  const evalRefC = evalEncoded
    ? await scoreRows(
        reference,
        evalEncoded.map((p) => p.chosen),
      )
    : [];
  const evalRefR = evalEncoded
    ? await scoreRows(
        reference,
        evalEncoded.map((p) => p.rejected),
      )
    : [];

  const padId = policy.tokenizer.padId ?? 0;
  const batchOf = (idx: number[], enc: EncodedPair[], rc: number[], rr: number[]) =>
    makeBatch(
      idx.map((i) => enc[i]!),
      idx.map((i) => rc[i]!),
      idx.map((i) => rr[i]!),
      padId,
    );
  const onStep = checkpointHook(policy, config, 'dpo');
  const result = await train<DpoBatch>({
    model: policy.model,
    steps: config.steps,
    maxGradNorm: config.maxGradNorm,
    progress: config.progress,
    ...(config.evalEvery !== undefined ? { evalEvery: config.evalEvery } : {}),
    optimizer: { lr: config.lr, weightDecay: config.weightDecay },
    data: (function* () {
      for (const idx of indexBatches(encoded.length, config.batchSize, config.seed))
        yield batchOf(idx, encoded, refC, refR);
    })(),
    loss: (batch) => dpoLoss(policy, batch, beta, nllWeight),
    tokensPerBatch: (batch) => batch.tokens.size,
    ...(evalEncoded
      ? {
          evalData: function* () {
            for (const idx of fixedBatches(evalEncoded.length, config.batchSize)) {
              yield batchOf(idx, evalEncoded, evalRefC, evalRefR);
            }
          },
          evaluate: async () => ({ ...(await metricsFrom(policy, evalEncoded, evalRefC, evalRefR)) }),
        }
      : {}),
    ...(onStep ? { callbacks: { onStep } } : {}),
  });
  result.optimizer.dispose();
  const { optimizer: _o, ...run } = result;
  return { ...run, lastEval: result.evals.at(-1)?.metrics ?? null };
}
