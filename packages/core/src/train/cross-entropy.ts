/**
 * Masked cross-entropy as one custom-gradient op: the loss is the mean of
 * -log softmax(logits)[target] over the positions where the mask is 1, and the
 * gradient is written directly as (softmax - onehot) * mask / N, instead of
 * letting autodiff walk back through log-softmax and the gather (fewer kernels,
 * no gather gradient, which the wasm backend lacks natively).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedSoftmaxCrossEntropy } from '../backend/fused.js';
import { formatShape, LabError } from '../errors.js';

/**
 * Mean cross-entropy over unmasked positions.
 *
 * @param logits `[..., vocab]` unnormalised scores.
 * @param targets `[...]` int32 class ids, the shape of `logits` without its last axis.
 * @param mask `[...]` 1 where the loss counts, 0 elsewhere (any numeric dtype); all ones when omitted.
 * @returns a scalar: sum(mask * nll) / max(sum(mask), 1), so an all-zero mask gives 0.
 *
 * @example
 * const loss = maskedCrossEntropy(logits, targets, lossMask); // tf.Scalar
 */
export function maskedCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  mask?: tf.Tensor | null,
): tf.Scalar {
  const vocab = logits.shape[logits.rank - 1]!;
  const lead = logits.shape.slice(0, -1);
  if (!tf.util.arraysEqual(targets.shape, lead)) {
    throw new LabError(
      'CROSS_ENTROPY_SHAPE',
      `targets ${formatShape(targets.shape)} must be logits ${formatShape(logits.shape)} without the last axis`,
      { logits: logits.shape, targets: targets.shape },
    );
  }
  if (mask && !tf.util.arraysEqual(mask.shape, lead)) {
    throw new LabError(
      'CROSS_ENTROPY_SHAPE',
      `mask ${formatShape(mask.shape)} must match targets ${formatShape(lead)}`,
      {
        mask: mask.shape,
        targets: targets.shape,
      },
    );
  }
  const n = targets.size;
  return tf.tidy(() => {
    const flatTargets = tf.reshape(tf.cast(targets, 'int32'), [n]); // [n]
    const weights = mask ? tf.reshape(tf.cast(mask, 'float32'), [n]) : tf.ones([n]); // [n]
    const count = tf.maximum(tf.sum(weights), 1); // scalar
    const scaled = tf.div(weights, count); // [n]: mask / N
    // One native kernel each way when @lab/core-native is on (same math).
    const fused = fusedSoftmaxCrossEntropy(
      tf.reshape(logits, [n, vocab]) as tf.Tensor2D,
      flatTargets as tf.Tensor1D,
      scaled as tf.Tensor1D,
    );
    if (fused) return fused;
    // Flat index of each target logit in the [n * vocab] view.
    const flatIndex = tf.add(tf.range(0, n * vocab, vocab, 'int32'), flatTargets); // [n]
    const ce = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x2 = args[0] as tf.Tensor2D; // [n, vocab]
      const save = args[1] as tf.GradSaveFunc;
      // Softmax is one vectorised kernel on wasm (XNNPACK), where exp and
      // logSumExp's chain are scalar loops ~5x slower. logsumexp comes back
      // from it exactly: the largest probability is exp(0)/sum = 1/sum, so
      // lse = max - log(max p), with no underflow for far-off targets.
      const probs = tf.softmax(x2); // [n, vocab]
      const lse = tf.sub(tf.max(x2, 1), tf.log(tf.max(probs, 1))); // [n]
      const picked = tf.gather(tf.reshape(x2, [n * vocab]), flatIndex); // [n]
      const nll = tf.sub(lse, picked); // [n]
      // Saved (kept by the engine until backprop) rather than captured: the
      // caller's tidy frees captured tensors before the gradient runs.
      save([probs, flatTargets, scaled]);
      return {
        value: tf.sum(tf.mul(nll, scaled)) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
          const [p, tgt, w] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
          const onehot = tf.oneHot(tgt, vocab); // [n, vocab]
          const rowScale = tf.reshape(tf.mul(w, dy), [n, 1]); // [n, 1]
          return tf.mul(tf.sub(p, onehot), rowScale);
        },
      };
    });
    return ce(tf.reshape(logits, [n, vocab])) as tf.Scalar;
  });
}
