/**
 * Fused ops that run as one native kernel when `@lab/core-native` registered
 * it on the wasm backend, and return undefined otherwise so the caller runs
 * its composite. The math is the same either way (float32 rounding aside), so
 * a model trains identically with and without the accelerator.
 *
 * The kernel names are a contract with @lab/core-native (which registers the
 * kernels and their gradients); core never imports that package statically.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeNativeModule } from './native.js';

/** GELU (tanh approximation): x -> x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)). */
export const FUSED_GELU = 'LabFusedGelu';
/** alpha * op(a) op(b) for float32 operands of equal batch shape; attrs { transposeA, transposeB, alpha }. */
export const SCALED_MAT_MUL = 'LabScaledMatMul';
/** sum_i w_i (logsumexp(logits_i) - logits_i[t_i]); inputs logits [n, V], targets int32 [n], weights [n]. */
export const SOFTMAX_CROSS_ENTROPY = 'LabSoftmaxCrossEntropy';
/** Layer norm over the last axis with gamma [d] and optional beta [d]; attrs { epsilon }. */
export const FUSED_LAYER_NORM = 'LabFusedLayerNorm';

/** True when the named fused kernel can run for the current backend. */
export function hasFusedKernel(name: string): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' && tf.getKernel(name, backend) != null;
}

/**
 * GELU as one kernel, or undefined when no fused kernel is registered.
 *
 * @example
 * const y = fusedGelu(x) ?? compositeGelu(x);
 */
export function fusedGelu<T extends tf.Tensor>(x: T): T | undefined {
  if (x.dtype !== 'float32' || !hasFusedKernel(FUSED_GELU)) return undefined;
  return tf.engine().runKernel(FUSED_GELU, { x }, {}) as T;
}

/**
 * alpha * matMul(a, b, transposeA, transposeB) as one kernel (the scale rides
 * in sgemm's alpha, forward and backward), or undefined when no such kernel is
 * registered or the operands do not fit it (float32, same rank >= 2, equal
 * batch dimensions).
 *
 * @example
 * const scores = scaledMatMul(q, k, false, true, 1 / Math.sqrt(headDim)) ?? tf.matMul(tf.mul(q, scale), k, false, true);
 */
export function scaledMatMul(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
  alpha: number,
): tf.Tensor | undefined {
  if (
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    a.rank < 2 ||
    a.rank !== b.rank ||
    a.shape.slice(0, -2).some((d, i) => d !== b.shape[i]) ||
    (transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]) !==
      (transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]) ||
    !hasFusedKernel(SCALED_MAT_MUL)
  ) {
    return undefined;
  }
  return tf.engine().runKernel(SCALED_MAT_MUL, { a, b }, { transposeA, transposeB, alpha }) as tf.Tensor;
}

/**
 * Layer norm over the last axis as one kernel, or undefined when no fused
 * kernel is registered or the operands do not fit it (gamma/beta must be [d]).
 *
 * @example
 * const y = fusedLayerNorm(x, weight, bias, 1e-5) ?? composite(x);
 */
export function fusedLayerNorm<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor,
  beta: tf.Tensor | null,
  epsilon: number,
): T | undefined {
  const d = x.shape[x.rank - 1];
  if (
    x.dtype !== 'float32' ||
    gamma.dtype !== 'float32' ||
    d === undefined ||
    d === 0 ||
    gamma.rank !== 1 ||
    gamma.shape[0] !== d ||
    (beta !== null && (beta.dtype !== 'float32' || beta.rank !== 1 || beta.shape[0] !== d)) ||
    !hasFusedKernel(FUSED_LAYER_NORM)
  ) {
    return undefined;
  }
  const inputs: tf.NamedTensorMap = beta ? { x, gamma, beta } : { x, gamma };
  return tf.engine().runKernel(FUSED_LAYER_NORM, inputs, { epsilon }) as T;
}

/**
 * Weighted softmax cross-entropy, sum_i w_i (logsumexp(logits_i) -
 * logits_i[t_i]), as one kernel each way (gradient (softmax - onehot) w dy),
 * or undefined when no such kernel is registered or the operands do not fit.
 *
 * @example
 * const loss = fusedSoftmaxCrossEntropy(logits2d, targets, weights) ?? composite();
 */
export function fusedSoftmaxCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
): tf.Scalar | undefined {
  const [n, vocab] = logits.shape;
  if (
    logits.dtype !== 'float32' ||
    targets.dtype !== 'int32' ||
    weights.dtype !== 'float32' ||
    targets.size !== n ||
    weights.size !== n ||
    vocab === 0 ||
    !hasFusedKernel(SOFTMAX_CROSS_ENTROPY)
  ) {
    return undefined;
  }
  return tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits, targets, weights }, {}) as tf.Scalar;
}

/** One AdamW update over all parameters (see @lab/core-native's adamwInPlace). */
export interface FusedAdamWStep {
  params: readonly tf.Variable[];
  /** Aligned with params (null: zero gradient), or one flat vector of all of them. */
  grads: readonly (tf.Tensor | null | undefined)[] | tf.Tensor;
  /** Flat first and second moments, in the order of params. */
  m: tf.Variable;
  v: tf.Variable;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  decayed: readonly boolean[];
  /** The step being taken (1 for the first update). */
  step: number;
  gradScale?: number;
}

/**
 * Runs the AdamW update natively in place and returns true, or returns false
 * (nothing changed) when the accelerator is off or declines the inputs; the
 * caller then runs its composite, which computes the same float32 operations.
 *
 * @example
 * if (!fusedAdamWStep({ params, grads, m, v, lr, beta1, beta2, epsilon, weightDecay, decayed, step })) composite();
 */
export function fusedAdamWStep(args: FusedAdamWStep): boolean {
  const mod = activeNativeModule();
  if (mod?.adamwInPlace === undefined) return false;
  return mod.adamwInPlace(tf, args as unknown as Record<string, unknown>);
}
