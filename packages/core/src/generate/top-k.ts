/** Top-k: keep the k largest logits of each row, forbid the rest. */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { InputIds, LogitsProcessor } from './types.js';

/**
 * Tokens tied with the k-th largest logit are kept too.
 *
 * @example
 * const p = new TopKProcessor(40);
 */
export class TopKProcessor implements LogitsProcessor {
  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) {
      throw new LabError('GENERATE_CONFIG', `top-k needs a positive integer k, got ${k}`, { k });
    }
  }

  process(_inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D {
    const [batch, vocab] = logits.shape;
    if (this.k >= vocab) return logits;
    const { values } = tf.topk(logits, this.k); // [batch, k], sorted descending
    const kth = tf.slice(values, [0, this.k - 1], [batch, 1]); // [batch, 1]
    return tf.where(tf.less(logits, kth), tf.fill([batch, vocab], Number.NEGATIVE_INFINITY), logits);
  }
}
