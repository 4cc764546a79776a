/**
 * The causal + padding mask that attention applies, built once per forward
 * and shared by every layer. Query i sits at absolute position offset + i and
 * may see key j when j <= offset + i and key j is a real token. A padding
 * query is also allowed its own position, so no row is empty (no NaN).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AttentionMask {
  /** 1 where query i may attend to key j, else 0: [batch|1, 1, qLen, kLen]. */
  allowed: tf.Tensor4D;
  /** 0 where allowed, -1e9 elsewhere, to add to the scores: same shape. */
  bias: tf.Tensor4D;
}

/** Large enough to vanish in a softmax, small enough that a fully masked row stays finite. */
export const MASKED_SCORE = -1e9;

/**
 * @param keyMask 1 for real tokens, 0 for padding: [batch, kLen], or null when every key is real.
 */
export function buildAttentionMask(qLen: number, kLen: number, keyMask: tf.Tensor2D | null): AttentionMask {
  const offset = kLen - qLen;
  const causal = new Float32Array(qLen * kLen);
  const diagonal = new Float32Array(qLen * kLen);
  for (let i = 0; i < qLen; i++) {
    for (let j = 0; j <= i + offset; j++) causal[i * kLen + j] = 1;
    diagonal[i * kLen + i + offset] = 1;
  }
  let allowed = tf.tensor4d(causal, [1, 1, qLen, kLen]);
  if (keyMask) {
    const batch = keyMask.shape[0];
    const keys = tf.reshape(keyMask.dtype === 'float32' ? keyMask : tf.cast(keyMask, 'float32'), [
      batch,
      1,
      1,
      kLen,
    ]);
    allowed = tf.mul<tf.Tensor4D>(allowed, tf.maximum(keys, tf.tensor4d(diagonal, [1, 1, qLen, kLen])));
  }
  const bias: tf.Tensor4D = keyMask
    ? tf.mul<tf.Tensor4D>(tf.sub(allowed, 1), -MASKED_SCORE)
    : tf.tensor4d(
        causal.map((a) => (a === 1 ? 0 : MASKED_SCORE)),
        [1, 1, qLen, kLen],
      );
  return { allowed, bias };
}
