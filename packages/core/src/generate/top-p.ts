/**
 * Top-p (nucleus) sampling (Holtzman et al., 2020): keep the smallest set of
 * tokens whose probability sums to at least p, forbid the rest.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { InputIds, LogitsProcessor } from './types.js';

/**
 * @example
 * const p = new TopPProcessor(0.9);
 */
export class TopPProcessor implements LogitsProcessor {
  constructor(readonly p: number) {
    if (!(p > 0 && p <= 1)) throw new LabError('GENERATE_CONFIG', `top-p needs 0 < p <= 1, got ${p}`, { p });
  }

  process(_inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D {
    if (this.p === 1) return logits;
    const [batch, vocab] = logits.shape;
    const sorted = tf.topk(logits, vocab).values; // [batch, vocab], descending
    const probs = tf.softmax(sorted); // [batch, vocab]
    // A token is in the nucleus when the mass strictly before it is below p;
    // the first token always is.
    const before = tf.sub(tf.cumsum(probs, 1), probs); // [batch, vocab]
    const inside = tf.less(before, this.p); // [batch, vocab]
    // The smallest kept logit of each row is the cut: everything below it goes.
    const cut = tf.min(tf.where(inside, sorted, tf.fill([batch, vocab], Number.POSITIVE_INFINITY)), 1, true); // [batch, 1]
    return tf.where(tf.less(logits, cut), tf.fill([batch, vocab], Number.NEGATIVE_INFINITY), logits);
  }
}
