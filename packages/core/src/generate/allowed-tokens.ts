/**
 * A vocabulary constraint: only the allowed token ids may be chosen (e.g.
 * image-code ids at image positions, as CM3Leon decodes). Everything else
 * gets -Infinity.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { InputIds, LogitsProcessor } from './types.js';

/** Allowed ids as a list, or as a half-open range [start, end). */
export type AllowedTokens = readonly number[] | { readonly start: number; readonly end: number };

/**
 * @example
 * const imageOnly = new AllowedTokensProcessor({ start: firstImageId, end: firstImageId + 128 });
 */
export class AllowedTokensProcessor implements LogitsProcessor {
  private readonly ids: number[];
  private mask: { vocab: number; data: Float32Array } | null = null;

  constructor(allowed: AllowedTokens) {
    this.ids = Array.isArray(allowed)
      ? [...(allowed as readonly number[])]
      : Array.from(
          { length: Math.max(0, (allowed as { end: number }).end - (allowed as { start: number }).start) },
          (_, i) => (allowed as { start: number }).start + i,
        );
    if (this.ids.length === 0)
      throw new LabError('GENERATE_CONFIG', 'AllowedTokensProcessor: no allowed tokens');
    for (const id of this.ids) {
      if (!Number.isInteger(id) || id < 0) {
        throw new LabError('GENERATE_CONFIG', `AllowedTokensProcessor: invalid token id ${id}`, { id });
      }
    }
  }

  process(_inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D {
    const vocab = logits.shape[1];
    if (!this.mask || this.mask.vocab !== vocab) {
      const data = new Float32Array(vocab).fill(Number.NEGATIVE_INFINITY);
      for (const id of this.ids) {
        if (id >= vocab) {
          throw new LabError(
            'GENERATE_CONFIG',
            `AllowedTokensProcessor: token ${id} is outside the vocabulary (${vocab})`,
            {
              id,
              vocab,
            },
          );
        }
        data[id] = 0;
      }
      this.mask = { vocab, data };
    }
    // Adding 0 keeps a logit, adding -Infinity forbids it: one kernel.
    return tf.add(logits, tf.tensor2d(this.mask.data, [1, vocab])) as tf.Tensor2D; // [batch, vocab]
  }
}
