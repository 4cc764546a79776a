/**
 * A BatchMatMul gradient for the plain wasm backend. tfjs's own gradient uses
 * transpose flags, and the backend's fast path (XNNPACK) only takes a rank-2
 * matmul without flags: flagged ones ran ~6-10x slower (PERF-NOTES.md). For
 * rank-2 operands this transposes explicitly and calls a plain matmul; with
 * core's SIMD matmul (batch-mat-mul-wasm.ts) that still measured 3-5% faster
 * a step than passing the flags through. Batched operands keep the flags.
 * Installed only when no native accelerator serves BatchMatMul (register.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

function mm(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  if (x.rank !== 2 || y.rank !== 2) return tf.matMul(x, y, tx, ty);
  return tf.matMul(tx ? tf.transpose(x) : x, ty ? tf.transpose(y) : y);
}

export const batchMatMulGradTransposed: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const d = dy as tf.Tensor;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return { a: () => mm(d, b, false, true), b: () => mm(a, d, true, false) };
    if (!transposeA && transposeB) return { a: () => mm(d, b, false, false), b: () => mm(d, a, true, false) };
    if (transposeA && !transposeB) return { a: () => mm(b, d, false, true), b: () => mm(a, d, false, false) };
    return { a: () => mm(b, d, true, true), b: () => mm(d, a, true, true) };
  },
};
