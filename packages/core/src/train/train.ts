/**
 * The training loop: batches from an iterator, one loss function, AdamW with
 * optional clipping and gradient accumulation, evaluation every N steps,
 * callbacks and progress. Nothing in it is specific to language models except
 * the default loss (nextTokenLoss of `model`).
 *
 * Every tensor of a step lives inside tidy scopes, so tf.memory().numTensors
 * is the same after every step (tested).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LabError } from '../errors.js';
import type { CausalLM } from '../model/types.js';
import { AdamW, type AdamWConfigSchema, type ParameterList } from './adamw.js';
import { clipCoefficient } from './clip.js';
import { type LMBatch, nextTokenLoss } from './lm-loss.js';
import { createProgress } from './progress.js';

export const TrainConfigSchema = z.strictObject({
  /** Optimizer updates to run; the loop ends earlier when the data runs out. */
  steps: z.number().int().positive(),
  /** Clip the global gradient norm to this value; omit for no clipping. */
  maxGradNorm: z.number().positive().optional(),
  /** Batches whose gradients are averaged into one update. Default 1. */
  gradAccumSteps: z.number().int().positive().default(1),
  /** Evaluate every this many updates (and after the last); omit for never. */
  evalEvery: z.number().int().positive().optional(),
  /** 'auto': a bar on a terminal, lines elsewhere and when CI=true. */
  progress: z.enum(['auto', 'bar', 'lines', 'none']).default('auto'),
  /** In 'lines' mode, print every this many steps (and the first and last). */
  logEvery: z.number().int().positive().default(10),
});
export type TrainConfig = z.infer<typeof TrainConfigSchema>;

/** What a finished update reports. */
export interface StepInfo {
  /** Updates done so far (1 after the first). */
  step: number;
  /** Mean loss over the update's batches. */
  loss: number;
  /** Learning rate used by this update. */
  lr: number;
  /** Global gradient norm before clipping (of the averaged gradient). */
  gradNorm: number;
  /** Tokens in this update's batches (tokensPerBatch, or the size of `tokens` for LMBatch). */
  tokens: number;
  /** Wall time of this update in milliseconds. */
  ms: number;
}

export type Metrics = Record<string, number>;

export interface TrainCallbacks {
  /** After each update. Return false to stop training. */
  onStep?: (info: StepInfo) => unknown;
  /** After each evaluation. Return false to stop training. */
  onEval?: (step: number, metrics: Metrics) => unknown;
}

export interface TrainOptions<B> extends z.input<typeof TrainConfigSchema> {
  /** Batches. The loop owns them: each batch's tensors are disposed after its step. */
  data: Iterable<B> | AsyncIterable<B>;
  /** The model: needed by the default loss; switched to eval() during evaluation and back to train(). */
  model?: CausalLM;
  /** The loss of one batch (a scalar). Default: nextTokenLoss(model, batch) for LMBatch. */
  loss?: (batch: B) => tf.Scalar;
  /** What to train. Default: model's named parameters (names let AdamW skip decay by name), else model.parameters(). */
  parameters?: ParameterList;
  /** An AdamW to use (state kept across calls), or its config. Default: AdamW with default config. */
  optimizer?: AdamW | z.input<typeof AdamWConfigSchema>;
  /** Fresh evaluation batches each call, scored with `loss` under model.eval(); reported as `loss`. */
  evalData?: () => Iterable<B> | AsyncIterable<B>;
  /** Extra evaluation metrics, merged after evalData's. */
  evaluate?: (step: number) => Metrics | Promise<Metrics>;
  callbacks?: TrainCallbacks;
  /** Tokens in a batch, for tokens/s. Default: size of `batch.tokens` when present. */
  tokensPerBatch?: (batch: B) => number;
  /** Where progress lines go. Default: process.stdout. */
  log?: (line: string) => void;
}

export interface TrainResult {
  /** Updates done. */
  steps: number;
  /** Loss of each update. */
  losses: number[];
  evals: { step: number; metrics: Metrics }[];
  stopReason: 'steps' | 'data' | 'callback';
  /** The optimizer (pass it to the next train() call to continue; dispose() when done). */
  optimizer: AdamW;
}

function defaultTokens(batch: unknown): number {
  const t = (batch as { tokens?: unknown } | null)?.tokens;
  return t instanceof tf.Tensor ? t.size : 0;
}

function toAsyncIterator<B>(data: Iterable<B> | AsyncIterable<B>): AsyncIterator<B> | Iterator<B> {
  if (Symbol.asyncIterator in data) return (data as AsyncIterable<B>)[Symbol.asyncIterator]();
  return (data as Iterable<B>)[Symbol.iterator]();
}

/**
 * Trains until `steps` updates are done, the data runs out or a callback returns false.
 * Throws LabError TRAIN_NON_FINITE (naming the step) when the loss or gradient
 * norm is NaN or infinite; the weights keep their values from before that step.
 *
 * @example
 * const result = await train({
 *   model, steps: 200, data: batches(), maxGradNorm: 1,
 *   optimizer: { lr: warmupCosineSchedule({ peakLr: 3e-3, warmupSteps: 20, totalSteps: 200 }) },
 *   evalEvery: 50, evalData: () => validationBatches(),
 * });
 * result.optimizer.dispose();
 */
export async function train<B = LMBatch>(options: TrainOptions<B>): Promise<TrainResult> {
  const {
    data,
    model,
    loss,
    parameters,
    optimizer: optimizerOption,
    evalData,
    evaluate,
    callbacks = {},
    tokensPerBatch = defaultTokens,
    log = (line: string) => {
      process.stdout.write(`${line}\n`);
    },
    ...rest
  } = options;
  const config = TrainConfigSchema.parse(rest);
  if (!loss && !model) {
    throw new LabError('TRAIN_CONFIG', 'train() needs `loss` or a `model` (for the default next-token loss)');
  }
  const lossFn: (batch: B) => tf.Scalar =
    loss ?? ((batch) => nextTokenLoss(model!, batch as unknown as LMBatch));
  const named = model as unknown as { namedParameters?: () => [string, tf.Variable][] } | undefined;
  const params: ParameterList =
    parameters ??
    (typeof named?.namedParameters === 'function' ? named.namedParameters() : model!.parameters());
  const trainable: ParameterList = (
    params as readonly (tf.Variable | readonly [string, tf.Variable])[]
  ).filter((p) => (p instanceof tf.Variable ? p : p[1]).trainable) as ParameterList;
  const optimizer =
    optimizerOption instanceof AdamW ? optimizerOption : new AdamW(trainable, optimizerOption ?? {});
  const vars = [...optimizer.variables];

  const progress = createProgress(config.progress, config.steps, config.logEvery, log);
  const iterator = toAsyncIterator(data);
  const losses: number[] = [];
  const evals: TrainResult['evals'] = [];
  let stopReason: TrainResult['stopReason'] = 'steps';
  let step = 0;
  let totalTokens = 0;
  let totalMs = 0;

  const runEval = async (): Promise<boolean> => {
    const metrics: Metrics = {};
    if (evalData) {
      model?.eval();
      try {
        let sum = 0;
        let count = 0;
        for await (const batch of evalData() as AsyncIterable<B>) {
          try {
            const value = tf.tidy(() => lossFn(batch));
            sum += (await value.data())[0]!;
            value.dispose();
            count++;
          } finally {
            tf.dispose(batch as tf.TensorContainer);
          }
        }
        if (count > 0) metrics.loss = sum / count;
      } finally {
        model?.train();
      }
    }
    if (evaluate) Object.assign(metrics, await evaluate(step));
    evals.push({ step, metrics });
    progress.eval(step, metrics);
    return (await callbacks.onEval?.(step, metrics)) !== false;
  };

  model?.train();
  try {
    while (step < config.steps) {
      const started = performance.now();
      let accum: tf.Tensor1D | null = null;
      let lossSum = 0;
      let micro = 0;
      let tokens = 0;
      let nonFinite: number | null = null;
      try {
        for (; micro < config.gradAccumSteps; micro++) {
          const next = await iterator.next();
          if (next.done) break;
          const batch = next.value;
          try {
            tokens += tokensPerBatch(batch);
            const { value, grads } = tf.variableGrads(() => lossFn(batch), vars);
            const v = (await value.data())[0]!;
            const flat = optimizer.flattenGradients(grads);
            tf.dispose([value, grads]);
            if (accum) {
              const sum: tf.Tensor1D = tf.add(accum, flat);
              tf.dispose([accum, flat]);
              accum = sum;
            } else {
              accum = flat;
            }
            lossSum += v;
            if (!Number.isFinite(v)) {
              nonFinite = v;
              micro++;
              break;
            }
          } finally {
            tf.dispose(batch as tf.TensorContainer);
          }
        }
        if (micro === 0 || !accum) {
          stopReason = 'data';
          break;
        }
        const stepNumber = step + 1;
        const meanLoss = lossSum / micro;
        const normTensor = tf.tidy(() => tf.sqrt(tf.sum(tf.square(accum!))));
        const gradNorm = (await normTensor.data())[0]! / micro;
        normTensor.dispose();
        if (nonFinite !== null || !Number.isFinite(meanLoss) || !Number.isFinite(gradNorm)) {
          const what = !Number.isFinite(meanLoss) ? `loss is ${meanLoss}` : `gradient norm is ${gradNorm}`;
          throw new LabError(
            'TRAIN_NON_FINITE',
            `${what} at step ${stepNumber}; stopping before the update`,
            {
              step: stepNumber,
              loss: meanLoss,
              gradNorm,
            },
          );
        }
        const lr = optimizer.learningRate();
        const clip = config.maxGradNorm ? clipCoefficient(gradNorm, config.maxGradNorm) : 1;
        optimizer.applyGradients(accum, { gradScale: clip / micro });
        step = stepNumber;
        losses.push(meanLoss);
        const info: StepInfo = {
          step,
          loss: meanLoss,
          lr,
          gradNorm,
          tokens,
          ms: performance.now() - started,
        };
        const fields: Record<string, number> = { loss: meanLoss, lr, 'grad-norm': gradNorm };
        totalTokens += tokens;
        totalMs += info.ms;
        // Averaged since the start: one step's rate jumps with GC and eval pauses.
        if (totalTokens > 0) fields['tok/s'] = (totalTokens * 1000) / Math.max(totalMs, 1e-3);
        progress.step(step, fields);
        if ((await callbacks.onStep?.(info)) === false) {
          stopReason = 'callback';
          break;
        }
      } finally {
        accum?.dispose();
      }
      if (config.evalEvery && step % config.evalEvery === 0 && (evalData || evaluate)) {
        if (!(await runEval())) {
          stopReason = 'callback';
          break;
        }
      }
    }
    const lastEval = evals.at(-1)?.step;
    if (
      config.evalEvery &&
      (evalData || evaluate) &&
      step > 0 &&
      lastEval !== step &&
      stopReason !== 'callback'
    ) {
      await runEval();
    }
  } finally {
    progress.end();
    await (iterator as AsyncIterator<B>).return?.();
  }
  return { steps: step, losses, evals, stopReason, optimizer };
}
