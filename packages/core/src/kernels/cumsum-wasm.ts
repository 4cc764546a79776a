/**
 * Cumsum along the last axis (float32) for the plain wasm backend, on core's
 * wasm kernel `cumsum_last`: the backend's kernel took ~8 ms for CoPE's
 * [32, 4, 128, 128] reverse gate sums. Other axes and dtypes fall through to
 * the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

export function makeWasmCumsum(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Cumsum,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { axis, exclusive, reverse } = attrs as unknown as tf.CumsumAttrs;
      const rank = x.shape.length;
      const simd = isWasmInternals(backend) ? simdKernelsFor(backend) : undefined;
      if (!simd || !isWasmInternals(backend) || x.dtype !== 'float32' || rank === 0) return original(args);
      if ((axis < 0 ? axis + rank : axis) !== rank - 1) return original(args);
      const len = x.shape[rank - 1]!;
      const out = backend.makeOutput([...x.shape], 'float32');
      const outer = len === 0 ? 0 : tf.util.sizeFromShape(x.shape) / len;
      simd.cumsum_last(
        offsetOf(backend, x),
        offsetOf(backend, out),
        outer,
        len,
        exclusive ? 1 : 0,
        reverse ? 1 : 0,
      );
      return out;
    },
  };
}
