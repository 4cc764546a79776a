/**
 * Two-stream processors: classifier-free guidance (Ho & Salimans, 2022; used
 * for token models by CM3Leon, Yu et al. 2023) and contrastive decoding (Li et
 * al., 2023), in CM3Leon's top-k variant (CD-K).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { InputIds, MultiStreamProcessor, TwoStreamProcessor } from './types.js';

/**
 * logits = uncond + scale * (cond - uncond), with the conditional prompt as
 * the primary stream and the unconditional one as the secondary stream.
 * scale 1 is plain conditional decoding.
 *
 * @example
 * await generate(model, condPrompts, { guidance: { prompts: uncondPrompts, combine: new ClassifierFreeGuidance(3) } });
 */
export class ClassifierFreeGuidance implements TwoStreamProcessor {
  constructor(readonly scale: number) {
    if (!Number.isFinite(scale))
      throw new LabError('GENERATE_CONFIG', `guidance scale must be finite, got ${scale}`);
  }

  combine(_ids: InputIds, cond: tf.Tensor2D, uncond: tf.Tensor2D): tf.Tensor2D {
    if (this.scale === 1) return cond;
    return tf.add(uncond, tf.mul(tf.sub(cond, uncond), this.scale));
  }
}

/**
 * Contrastive decoding with a top-k plausibility set: the primary stream is
 * the expert E, the secondary the amateur A. Tokens with p_E >= alpha * (k-th
 * largest p_E) score log p_E - log p_A; all others are forbidden. k = 1 is Li
 * et al.'s original rule (alpha times the maximum).
 *
 * @example
 * await generate(model, prompts, { guidance: { prompts: weakPrompts, combine: new ContrastiveDecoding({ alpha: 0.1, k: 5 }) } });
 */
export class ContrastiveDecoding implements TwoStreamProcessor {
  readonly alpha: number;
  readonly k: number;

  constructor(options: { alpha?: number; k?: number } = {}) {
    this.alpha = options.alpha ?? 0.1;
    this.k = options.k ?? 5;
    if (!(this.alpha > 0 && this.alpha <= 1)) {
      throw new LabError('GENERATE_CONFIG', `contrastive alpha needs 0 < alpha <= 1, got ${this.alpha}`);
    }
    if (!Number.isInteger(this.k) || this.k < 1) {
      throw new LabError('GENERATE_CONFIG', `contrastive k must be a positive integer, got ${this.k}`);
    }
  }

  combine(_ids: InputIds, expert: tf.Tensor2D, amateur: tf.Tensor2D): tf.Tensor2D {
    const [batch, vocab] = expert.shape;
    const logE = tf.logSoftmax(expert); // [batch, vocab]
    const logA = tf.logSoftmax(amateur); // [batch, vocab]
    const k = Math.min(this.k, vocab);
    const kth = tf.slice(tf.topk(logE, k).values, [0, k - 1], [batch, 1]); // [batch, 1]
    const plausible = tf.greaterEqual(logE, tf.add(kth, Math.log(this.alpha))); // [batch, vocab]
    return tf.where(plausible, tf.sub(logE, logA), tf.fill([batch, vocab], Number.NEGATIVE_INFINITY));
  }
}

/**
 * Guidance over a chain of conditions, most conditioned first (the primary
 * stream) and unconditioned last: logits = l_n + sum_i scales[i] * (l_i - l_{i+1}).
 * With streams [full, image only, none] and scales [sText, sImage] this is the
 * two-scale guidance of instruction-based image editing (InstructPix2Pix; the
 * three-stream variant CM3Leon's successors use); with two streams it is
 * ClassifierFreeGuidance.
 *
 * @example
 * await generate(model, fullPrompts, {
 *   guidance: { streams: [{ prompts: imageOnly }, { prompts: none }], combine: new ChainedGuidance([1.5, 3]) },
 * });
 */
export class ChainedGuidance implements MultiStreamProcessor {
  constructor(readonly scales: readonly number[]) {
    if (scales.length === 0 || !scales.every(Number.isFinite)) {
      throw new LabError(
        'GENERATE_CONFIG',
        `guidance scales must be finite numbers, got [${scales.join(', ')}]`,
      );
    }
  }

  combine(_ids: readonly InputIds[], logits: readonly tf.Tensor2D[]): tf.Tensor2D {
    if (logits.length !== this.scales.length + 1) {
      throw new LabError(
        'GENERATE_GUIDANCE',
        `ChainedGuidance with ${this.scales.length} scales needs ${this.scales.length + 1} streams, got ${logits.length}`,
      );
    }
    let out = logits[logits.length - 1]!;
    this.scales.forEach((s, i) => {
      out = tf.add(out, tf.mul(tf.sub(logits[i]!, logits[i + 1]!), s));
    });
    return out;
  }
}
