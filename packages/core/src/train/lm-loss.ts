/**
 * The default training objective of a CausalLM: next-token cross-entropy on a
 * batch of token rows, plus the model's auxiliary loss (MoE load balancing).
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';
import type { CausalLM } from '../model/types.js';
import { maskedCrossEntropy } from './cross-entropy.js';

/** A batch for next-token training: position t predicts token t + 1. */
export interface LMBatch {
  /** [batch, seq] int32; the model sees tokens[:, :-1] and predicts tokens[:, 1:]. */
  tokens: tf.Tensor2D;
  /** [batch, seq]: 1 where token t is a target to learn (e.g. completion tokens only). Default: attentionMask, else all. */
  lossMask?: tf.Tensor2D;
  /** [batch, seq]: 1 real, 0 padding. Passed to the model; a padding token is never a target, nor is a token after padding. */
  attentionMask?: tf.Tensor2D;
}

/**
 * Next-token cross-entropy of `model` on `batch`, plus its auxLoss when it has one.
 *
 * @example
 * const loss = nextTokenLoss(model, { tokens }); // tf.Scalar
 */
export function nextTokenLoss(model: CausalLM, batch: LMBatch): tf.Scalar {
  const [b, t] = batch.tokens.shape;
  if (t < 2) {
    throw new LabError(
      'LM_BATCH_SHAPE',
      `tokens ${formatShape(batch.tokens.shape)}: need at least 2 per row`,
      {
        shape: batch.tokens.shape,
      },
    );
  }
  for (const key of ['lossMask', 'attentionMask'] as const) {
    const m = batch[key];
    if (m && !tf.util.arraysEqual(m.shape, batch.tokens.shape)) {
      throw new LabError(
        'LM_BATCH_SHAPE',
        `${key} ${formatShape(m.shape)} must match tokens ${formatShape(batch.tokens.shape)}`,
        { key, expected: batch.tokens.shape, actual: m.shape },
      );
    }
  }
  return tf.tidy(() => {
    const inputs = tf.slice(batch.tokens, [0, 0], [b, t - 1]) as tf.Tensor2D; // [b, t-1]
    const targets = tf.slice(batch.tokens, [0, 1], [b, t - 1]); // [b, t-1]
    const attn = batch.attentionMask
      ? (tf.slice(batch.attentionMask, [0, 0], [b, t - 1]) as tf.Tensor2D)
      : undefined;
    let mask: tf.Tensor | null = null;
    if (batch.lossMask) mask = tf.slice(batch.lossMask, [0, 1], [b, t - 1]);
    if (batch.attentionMask) {
      // A target counts when it and the token predicting it are both real: the
      // first real token of a left-padded row has no real prefix.
      const real = tf.mul(
        tf.cast(tf.slice(batch.attentionMask, [0, 1], [b, t - 1]), 'float32'),
        tf.cast(attn!, 'float32'),
      );
      mask = mask ? tf.mul(tf.cast(mask, 'float32'), real) : real;
    }
    const out = model.forward(inputs, attn ? { attentionMask: attn } : {});
    const ce = maskedCrossEntropy(out.logits, targets, mask);
    return out.auxLoss ? tf.add(ce, out.auxLoss) : ce;
  });
}
