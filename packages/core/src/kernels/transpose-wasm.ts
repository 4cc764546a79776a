/**
 * Transpose for the plain wasm backend. The last two axes ([r, c] or
 * [batch, r, c] with perm [0, 2, 1]) run core's SIMD kernel (4x4 lane
 * shuffles): the backend's kernel took ~4 ms for a [1024, 512] matrix, and
 * the weight gradients of every Linear transpose their input. [a, b, c, d] ->
 * [a, c, b, d] (attention heads) runs as row copies. No-op permutations alias
 * the input; other permutations fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

export function makeWasmTranspose(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Transpose,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { perm } = attrs as unknown as tf.TransposeAttrs;
      if (!isWasmInternals(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return original(args);
      const rank = x.shape.length;
      const outShape = perm.map((p) => x.shape[p]!);
      if (perm.every((p, i) => p === i)) {
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: outShape, dtype: x.dtype };
      }
      const swapsLastTwo =
        rank >= 2 &&
        perm[rank - 1] === rank - 2 &&
        perm[rank - 2] === rank - 1 &&
        perm.slice(0, -2).every((p, i) => p === i);
      if (!swapsLastTwo) {
        // [a, b, c, d] -> [a, c, b, d] (attention's head split/merge): rows of d stay contiguous.
        const swapsMiddle = rank === 4 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1 && perm[3] === 3;
        if (!swapsMiddle) return original(args);
        const [a, b, c, d] = x.shape as [number, number, number, number];
        const out = backend.makeOutput(outShape, x.dtype);
        const xOff = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
        const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset / 4;
        const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
        for (let i = 0; i < a; i++) {
          for (let j = 0; j < b; j++) {
            for (let k = 0; k < c; k++) {
              const src = xOff + ((i * b + j) * c + k) * d;
              heap.copyWithin(oOff + ((i * c + k) * b + j) * d, src, src + d);
            }
          }
        }
        return out;
      }
      const simd = simdKernelsFor(backend);
      if (!simd) return original(args);
      const r = x.shape[rank - 2]!;
      const c = x.shape[rank - 1]!;
      const batch = x.shape.slice(0, -2).reduce((p, q) => p * q, 1);
      const out = backend.makeOutput(outShape, x.dtype);
      simd.transpose(offsetOf(backend, x), offsetOf(backend, out), batch, r, c);
      return out;
    },
  };
}
