/**
 * BatchMatMul for the plain wasm backend (no native accelerator), on core's
 * SIMD kernel `bmm` (packages/core/wasm/kernels.c). The backend's own kernel
 * runs a scalar loop (~1-2 GFLOP/s) for anything but a single rank-2 product
 * without transpose flags, which XNNPACK serves at ~25-30 GFLOP/s here; bmm
 * ran the tiny GPT's shapes at ~40, and attention's [batch·heads, t, t]
 * products ~3x faster than one XNNPACK call per slice.
 * A transposed left operand is read in place (or transposed first when k is
 * long); a transposed right operand is materialised once with the SIMD transpose. Non-float32 operands and
 * broadcast batch dimensions fall through to the original kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

/** Columns per panel of b in kernels.c's bmm (BMM_PANEL): its scratch holds k of them. */
const BMM_PANEL = 128;

export function makeSimdBatchMatMul(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { a, b } = inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!isWasmInternals(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
      const simd = simdKernelsFor(backend);
      if (!simd) return original(args);
      const aRank = a.shape.length;
      const bRank = b.shape.length;
      const aOuter = a.shape.slice(0, -2);
      const bOuter = b.shape.slice(0, -2);
      const sameOuter = aOuter.length === bOuter.length && aOuter.every((d, i) => d === bOuter[i]);
      if (!sameOuter) return original(args);
      const batch = aOuter.reduce((x, y) => x * y, 1);
      const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
      const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
      const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
      if ((transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!) !== k) return original(args);
      const out = backend.makeOutput([...aOuter, m, n], 'float32');
      if (batch * m * n === 0) return out;
      if (k === 0) {
        (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
        return out;
      }
      // bmm reads b as [k, n] rows; a transposed b is laid out that way first.
      const bT = transposeB ? backend.makeOutput([...bOuter, k, n], 'float32') : undefined;
      if (bT) simd.transpose(offsetOf(backend, b), offsetOf(backend, bT), batch, n, k);
      // A transposed a is read in place (strided) unless k is long: 1024^3 ran at 22 GFLOP/s
      // strided, against 41 after a transpose that costs ~1% of the product.
      const aT = transposeA && k >= 256 ? backend.makeOutput([...aOuter, m, k], 'float32') : undefined;
      if (aT) simd.transpose(offsetOf(backend, a), offsetOf(backend, aT), batch, k, m);
      const scratch = backend.makeOutput([k * BMM_PANEL], 'float32');
      simd.bmm(
        offsetOf(backend, aT ?? a),
        offsetOf(backend, bT ?? b),
        offsetOf(backend, out),
        batch,
        m,
        k,
        n,
        transposeA && !aT ? 1 : 0,
        offsetOf(backend, scratch),
      );
      for (const temp of [scratch, aT, bT]) if (temp) backend.disposeData(temp.dataId);
      return out;
    },
  };
}
