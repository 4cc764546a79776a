/**
 * Turning prompt/answer text into token rows for SFT and DPO on a LocalModel:
 * prompt ids (bos + template-rendered text) then answer ids (+ eos), with the
 * answer span marked, right-padded into batches with attention masks.
 * Also the shared training options and the checkpoint hook.
 */
import { LabError, type Metrics, Rng, saveModel, type TrainResult, TransformerLM, tf } from '@lab/core';
import { z } from 'zod';
import type { LocalModel } from './local-model.js';
import type { ChatMessage } from './types.js';
import { messageText } from './types.js';

/** Options shared by sft() and dpo(). */
export const TrainingOptionsSchema = z.strictObject({
  /** Optimizer updates. */
  steps: z.int().min(1).default(100),
  /** Examples (SFT) or pairs (DPO) per update. */
  batchSize: z.int().min(1).default(8),
  /** AdamW learning rate. */
  lr: z.number().positive().default(1e-3),
  weightDecay: z.number().min(0).default(0),
  maxGradNorm: z.number().positive().default(1),
  /** Shuffling seed. */
  seed: z.int().default(0),
  /** Append the tokenizer's eos to each answer, so the model learns to stop. */
  appendEos: z.boolean().default(true),
  /** Evaluate every this many updates (needs eval data). */
  evalEvery: z.int().min(1).optional(),
  /** Save a checkpoint (core saveModel: config, weights, tokenizer) every this many updates to `<checkpointDir>/step-N`. */
  checkpointEvery: z.int().min(1).optional(),
  checkpointDir: z.string().optional(),
  progress: z.enum(['auto', 'bar', 'lines', 'none']).default('auto'),
});
export type TrainingOptionsInput = z.input<typeof TrainingOptionsSchema>;
export type TrainingOptions = z.infer<typeof TrainingOptionsSchema>;

export function parseTrainingOptions(what: string, options: unknown): TrainingOptions {
  const parsed = TrainingOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new LabError('LM_INVALID_CONFIG', `${what} options:\n${z.prettifyError(parsed.error)}`, {
      issues: parsed.error.issues,
    });
  }
  if (parsed.data.checkpointEvery !== undefined && parsed.data.checkpointDir === undefined) {
    throw new LabError('LM_INVALID_CONFIG', `${what}: checkpointEvery needs checkpointDir`, {});
  }
  return parsed.data;
}

/** One tokenized prompt + answer. */
export interface EncodedRow {
  ids: number[];
  /** Tokens before the answer. */
  promptLength: number;
}

type Text = string | ChatMessage[];

/** Renders a prompt with the model's chat template; answers become their text. */
function promptText(local: LocalModel, prompt: Text): string {
  return typeof prompt === 'string' ? prompt : local.template.render(prompt, true);
}
function answerText(answer: Text): string {
  return typeof answer === 'string' ? answer : answer.map(messageText).join('');
}

/**
 * Tokenizes prompt + answer. Answers longer than the room left in maxSeqLen
 * are cut at the end; a prompt that leaves no room is an error naming `where`.
 */
export function encodeRow(
  local: LocalModel,
  prompt: Text,
  answer: Text,
  appendEos: boolean,
  where: string,
): EncodedRow {
  const p = local.encodePrompt(promptText(local, prompt));
  let a = local.tokenizer.encode(answerText(answer));
  if (appendEos && local.tokenizer.eosId !== null) a = [...a, local.tokenizer.eosId];
  const room = local.model.maxSeqLen - p.length;
  if (room < 1 || p.length === 0) {
    throw new LabError(
      'LM_EXAMPLE_TOO_LONG',
      `${where}: prompt of ${p.length} tokens leaves no room for an answer in maxSeqLen ${local.model.maxSeqLen}`,
      { promptTokens: p.length, maxSeqLen: local.model.maxSeqLen },
    );
  }
  if (a.length === 0) throw new LabError('LM_EMPTY_ANSWER', `${where}: the answer is empty`, {});
  return { ids: [...p, ...a.slice(0, room)], promptLength: p.length };
}

/** Right-padded tensors for rows: tokens [rows, width], answerMask and attentionMask [rows, width]. */
export function padRows(rows: readonly EncodedRow[], padId: number) {
  const width = Math.max(...rows.map((r) => r.ids.length));
  const tokens = new Int32Array(rows.length * width).fill(padId);
  const answer = new Float32Array(rows.length * width);
  const attention = new Float32Array(rows.length * width);
  rows.forEach((r, i) => {
    for (let t = 0; t < r.ids.length; t++) {
      tokens[i * width + t] = r.ids[t]!;
      attention[i * width + t] = 1;
      if (t >= r.promptLength) answer[i * width + t] = 1;
    }
  });
  return {
    tokens: tf.tensor2d(tokens, [rows.length, width], 'int32'), // [rows, width]
    answerMask: tf.tensor2d(answer, [rows.length, width]), // [rows, width]
    attentionMask: tf.tensor2d(attention, [rows.length, width]), // [rows, width]
  };
}

/** Endless shuffled batches of indices (reshuffled each epoch). */
export function* indexBatches(count: number, batchSize: number, seed: number): Generator<number[]> {
  const rng = new Rng(seed);
  const order = Array.from({ length: count }, (_, i) => i);
  let at = count;
  for (;;) {
    const batch: number[] = [];
    while (batch.length < Math.min(batchSize, count)) {
      if (at >= count) {
        rng.shuffleInPlace(order);
        at = 0;
      }
      batch.push(order[at++]!);
    }
    yield batch;
  }
}

/** Fixed-order batches, for evaluation. */
export function* fixedBatches(count: number, batchSize: number): Generator<number[]> {
  for (let i = 0; i < count; i += batchSize) {
    yield Array.from({ length: Math.min(batchSize, count - i) }, (_, k) => i + k);
  }
}

/** A train() onStep callback saving checkpoints, or undefined. */
export function checkpointHook(local: LocalModel, options: TrainingOptions, what: string) {
  const { checkpointEvery, checkpointDir } = options;
  if (checkpointEvery === undefined || checkpointDir === undefined) return undefined;
  if (!(local.model instanceof TransformerLM)) {
    throw new LabError('LM_INVALID_CONFIG', `${what}: checkpoints need a TransformerLM (core saveModel)`, {});
  }
  const model = local.model;
  return async (info: { step: number }) => {
    if (info.step % checkpointEvery === 0 || info.step === options.steps) {
      await saveModel(`${checkpointDir}/step-${info.step}`, model, {
        tokenizer: local.tokenizer,
        metadata: { trainer: what, step: String(info.step) },
      });
    }
  };
}

/** What sft() and dpo() return. */
export interface TrainingRun extends Omit<TrainResult, 'optimizer'> {
  /** Last evaluation metrics, if any. */
  lastEval: Metrics | null;
}
