/**
 * Global-norm gradient clipping (Pascanu et al., 2013): if the L2 norm of all
 * gradients together exceeds maxNorm, scale every gradient by maxNorm / norm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';

/**
 * The L2 norm of all tensors taken together, as a scalar.
 *
 * @example
 * const norm = globalNorm(Object.values(grads)); // tf.Scalar
 */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(0);
    const squares = tensors.map((t) => tf.sum(tf.square(t)));
    return tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares)) as tf.Scalar;
  });
}

/** The factor that brings `norm` down to `maxNorm` (1 when already below). */
export function clipCoefficient(norm: number, maxNorm: number): number {
  return norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}

/**
 * Scales `grads` so their global norm is at most `maxNorm`. Returns new
 * tensors and the norm before clipping; the caller disposes both.
 *
 * @example
 * const { grads: clipped, norm } = clipByGlobalNorm(grads, 1.0);
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  if (!(maxNorm > 0))
    throw new LabError('CLIP_MAX_NORM', `maxNorm must be positive, got ${maxNorm}`, { maxNorm });
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    // min(1, maxNorm / (norm + 1e-6)) without reading the norm back.
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grads: grads.map((g) => tf.mul(g, coef)), norm };
  });
}
