/**
 * Sum over leading axes for the plain wasm backend: x viewed as
 * [outer, inner] summed over outer (the bias and norm-gain gradients of every
 * layer). The backend's kernel transposes first and took ~8 ms for a
 * [1024, 384] bias gradient; this is one pass of row additions in core's
 * SIMD kernel (a matmul by a ones vector on XNNPACK was slower: it packs x
 * as weights). Other reductions fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

export function makeLeadingSum(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Sum,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
      const rank = x.shape.length;
      const axes = (Array.isArray(axis) ? axis : [axis])
        .map((a) => (a < 0 ? a + rank : a))
        .sort((p, q) => p - q);
      const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
      if (!isWasmInternals(backend) || !leading || x.dtype !== 'float32') return original(args);
      const simd = simdKernelsFor(backend);
      if (!simd) return original(args);
      const outer = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
      const innerShape = x.shape.slice(axes.length);
      const inner = innerShape.reduce((p, q) => p * q, 1);
      const outShape = keepDims ? [...axes.map(() => 1), ...innerShape] : innerShape;
      const out = backend.makeOutput(outShape, 'float32');
      simd.sum_leading(offsetOf(backend, x), offsetOf(backend, out), outer, inner);
      return out;
    },
  };
}
