/**
 * Repetition penalty (Keskar et al., CTRL, 2019): a token already in the row
 * has its logit divided by the penalty when positive, multiplied when negative.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { InputIds, LogitsProcessor } from './types.js';

/**
 * @example
 * const p = new RepetitionPenaltyProcessor(1.2);
 */
export class RepetitionPenaltyProcessor implements LogitsProcessor {
  constructor(readonly penalty: number) {
    if (!(penalty > 0) || !Number.isFinite(penalty)) {
      throw new LabError('GENERATE_CONFIG', `repetition penalty must be positive, got ${penalty}`, {
        penalty,
      });
    }
  }

  process(inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D {
    if (this.penalty === 1) return logits;
    const [batch, vocab] = logits.shape;
    const seen = new Float32Array(batch * vocab);
    inputIds.forEach((row, b) => {
      for (const t of row) if (t >= 0 && t < vocab) seen[b * vocab + t] = 1;
    });
    const seenMask = tf.cast(tf.tensor2d(seen, [batch, vocab]), 'bool'); // [batch, vocab]
    const penalised = tf.where(
      tf.greater(logits, 0),
      tf.div(logits, this.penalty),
      tf.mul(logits, this.penalty),
    );
    return tf.where(seenMask, penalised, logits) as tf.Tensor2D;
  }
}
