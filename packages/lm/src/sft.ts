/**
 * Supervised fine-tuning of a LocalModel on {prompt, completion} examples,
 * with the loss on completion tokens only (the prompt conditions but is never
 * a target), on core's train() loop: AdamW, clipping, progress, evaluation
 * (completion loss on held-out examples) and optional checkpoints.
 */
import { type LMBatch, nextTokenLoss, sequenceLogProbs, tf, train } from '@lab/core';
import type { SftExample } from './formats.js';
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

export interface SftOptions extends TrainingOptionsInput {
  /** Held-out examples; their completion loss is reported as `loss` at each evaluation. */
  evalExamples?: readonly SftExample[];
}

function encodeAll(
  local: LocalModel,
  examples: readonly SftExample[],
  appendEos: boolean,
  what: string,
): EncodedRow[] {
  return examples.map((e, i) => encodeRow(local, e.prompt, e.completion, appendEos, `${what} #${i}`));
}

function toBatch(rows: EncodedRow[], padId: number): LMBatch {
  const { tokens, answerMask, attentionMask } = padRows(rows, padId);
  return { tokens, lossMask: answerMask, attentionMask };
}

/**
 * Mean negative log-likelihood per completion token of `examples` (eval mode).
 *
 * @example
 * ```ts
 * const before = await completionLoss(local, heldOut);
 * ```
 */
export async function completionLoss(
  local: LocalModel,
  examples: readonly SftExample[],
  options: { appendEos?: boolean; batchSize?: number } = {},
): Promise<number> {
  const rows = encodeAll(local, examples, options.appendEos ?? true, 'example');
  const padId = local.tokenizer.padId ?? 0;
  const wasTraining = (local.model as { training?: boolean }).training;
  local.model.eval();
  let total = 0;
  let count = 0;
  try {
    for (const idx of fixedBatches(rows.length, options.batchSize ?? 16)) {
      const { tokens, answerMask, attentionMask } = padRows(
        idx.map((i) => rows[i]!),
        padId,
      );
      const { sums, perToken } = sequenceLogProbs(local.model, tokens, answerMask, { attentionMask });
      total -= (await tf.sum(sums).data())[0]!;
      count += (await tf.sum(answerMask).data())[0]!;
      tf.dispose([tokens, answerMask, attentionMask, sums, perToken]);
    }
  } finally {
    if (wasTraining === true) local.model.train(true);
  }
  return total / Math.max(count, 1);
}

/**
 * Fine-tunes `local.model` in place.
 *
 * @example
 * ```ts
 * const run = await sft(local, [{ prompt: 'Q: 2+2?\nA:', completion: ' 4' }], { steps: 200, lr: 3e-3 });
 * ```
 */
export async function sft(
  local: LocalModel,
  examples: readonly SftExample[],
  options: SftOptions = {},
): Promise<TrainingRun> {
  const { evalExamples, ...rest } = options;
  const config = parseTrainingOptions('sft', rest);
  const rows = encodeAll(local, examples, config.appendEos, 'sft example');
  const evalRows = evalExamples ? encodeAll(local, evalExamples, config.appendEos, 'sft eval example') : null;
  const padId = local.tokenizer.padId ?? 0;
  const batches = indexBatches(rows.length, config.batchSize, config.seed);
  const onStep = checkpointHook(local, config, 'sft');
  const result = await train<LMBatch>({
    model: local.model,
    steps: config.steps,
    maxGradNorm: config.maxGradNorm,
    progress: config.progress,
    ...(config.evalEvery !== undefined ? { evalEvery: config.evalEvery } : {}),
    optimizer: { lr: config.lr, weightDecay: config.weightDecay },
    data: (function* () {
      for (const idx of batches)
        yield toBatch(
          idx.map((i) => rows[i]!),
          padId,
        );
    })(),
    loss: (batch) => nextTokenLoss(local.model, batch),
    ...(evalRows
      ? {
          evalData: function* () {
            for (const idx of fixedBatches(evalRows.length, config.batchSize)) {
              yield toBatch(
                idx.map((i) => evalRows[i]!),
                padId,
              );
            }
          },
        }
      : {}),
    ...(onStep ? { callbacks: { onStep } } : {}),
  });
  result.optimizer.dispose();
  const { optimizer: _o, ...run } = result;
  return { ...run, lastEval: result.evals.at(-1)?.metrics ?? null };
}
