/**
 * The Switch Transformer load-balancing loss (Fedus et al. 2021, eq. 4), as
 * BTX uses it (arXiv:2403.07816 §2.3): L = α·E·Σ_e u_e·p_e, with u_e the
 * share of routing slots that picked expert e (a constant: no gradient) and
 * p_e the mean router probability of e (carries the gradient to the router).
 * For u = p, E·Σ p_e² ≥ 1 with equality only at uniform, so balanced routing
 * gives the minimum α.
 */
import { tf } from '@lab/core';

/**
 * @param slotShare u [E]: fraction of slots per expert (sums to 1); treated as a constant.
 * @param meanProb p [E]: mean softmax probability per expert over the tokens.
 * @example
 * const l = loadBalancingLoss(tf.tensor1d([0.5, 0.5]), tf.tensor1d([0.5, 0.5]), 0.01); // 0.01
 */
export function loadBalancingLoss(slotShare: tf.Tensor1D, meanProb: tf.Tensor1D, alpha: number): tf.Scalar {
  return tf.tidy(() => {
    const e = slotShare.shape[0];
    // slotShare comes from the (gradient-free) routing plan: a constant.
    const u = slotShare;
    return tf.mul(tf.sum(tf.mul(u, meanProb)), alpha * e) as tf.Scalar;
  });
}
