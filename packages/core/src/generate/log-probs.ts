/**
 * Scoring sequences: log p(token_t | tokens before t) under a CausalLM,
 * summed per row over the positions a mask selects. Differentiable (DPO and
 * other preference losses train through it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';
import type { CausalLM } from '../model/types.js';

export interface SequenceLogProbs {
  /** [batch]: sum over masked positions of log p(token_t | prefix). */
  sums: tf.Tensor1D;
  /** [batch, seq]: log p(token_t | prefix) where the mask is 1, else 0 (position 0 has no prefix: always 0). */
  perToken: tf.Tensor2D;
}

export interface SequenceLogProbsOptions {
  /** [batch, seq] 1 real, 0 padding, passed to the model (for left-padded rows). */
  attentionMask?: tf.Tensor2D | number[][];
}

function toTensor(x: tf.Tensor2D | number[][], dtype: 'int32' | 'float32'): tf.Tensor2D {
  return x instanceof tf.Tensor ? (tf.cast(x, dtype) as tf.Tensor2D) : tf.tensor2d(x, undefined, dtype);
}

/**
 * Per-row sums (and per-token values) of log p(token_t | tokens before t)
 * where `mask` is 1. Runs the model as it is (call model.eval() first to
 * score without dropout). The caller disposes both outputs.
 *
 * @param tokens [batch, seq] int32.
 * @param mask [batch, seq]: 1 where token t is scored (e.g. the completion). Position 0 is never scored.
 * @example
 * const { sums, perToken } = sequenceLogProbs(model, [[1, 5, 7, 2]], [[0, 0, 1, 1]]);
 */
export function sequenceLogProbs(
  model: CausalLM,
  tokens: tf.Tensor2D | number[][],
  mask: tf.Tensor2D | number[][],
  options: SequenceLogProbsOptions = {},
): SequenceLogProbs {
  return tf.tidy(() => {
    const ids = toTensor(tokens, 'int32'); // [batch, seq]
    const weights = toTensor(mask, 'float32'); // [batch, seq]
    const [batch, seq] = ids.shape;
    if (!tf.util.arraysEqual(weights.shape, ids.shape)) {
      throw new LabError(
        'LOGPROBS_SHAPE',
        `mask ${formatShape(weights.shape)} must match tokens ${formatShape(ids.shape)}`,
        { tokens: ids.shape, mask: weights.shape },
      );
    }
    const attn = options.attentionMask ? toTensor(options.attentionMask, 'float32') : undefined;
    if (attn && !tf.util.arraysEqual(attn.shape, ids.shape)) {
      throw new LabError(
        'LOGPROBS_SHAPE',
        `attentionMask ${formatShape(attn.shape)} must match tokens ${formatShape(ids.shape)}`,
        { tokens: ids.shape, attentionMask: attn.shape },
      );
    }
    if (seq < 2) {
      const zeros = tf.zeros([batch, seq]) as tf.Tensor2D;
      return { sums: tf.zeros([batch]) as tf.Tensor1D, perToken: zeros };
    }
    const { logits, auxLoss } = model.forward(ids, attn ? { attentionMask: attn } : {});
    auxLoss?.dispose();
    const vocab = logits.shape[2];
    const n = batch * (seq - 1);
    const prev = tf.reshape(tf.slice(logits, [0, 0, 0], [batch, seq - 1, vocab]), [n, vocab]); // [n, vocab]
    const targets = tf.reshape(tf.slice(ids, [0, 1], [batch, seq - 1]), [n]); // [n]
    // one-hot dot product instead of a gather: its gradient needs no scatter kernel.
    const picked = tf.sum(tf.mul(prev, tf.oneHot(targets, vocab)), 1); // [n]
    const logp = tf.sub(picked, tf.logSumExp(prev, 1)); // [n]
    const shifted = tf.reshape(logp, [batch, seq - 1]); // [batch, seq-1]
    const scored = tf.mul(shifted, tf.slice(weights, [0, 1], [batch, seq - 1])); // [batch, seq-1]
    const perToken = tf.concat([tf.zeros([batch, 1]), scored], 1) as tf.Tensor2D; // [batch, seq]
    return { sums: tf.sum(scored, 1) as tf.Tensor1D, perToken };
  });
}
