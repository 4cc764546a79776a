/**
 * UnsortedSegmentSum for the wasm backend, which lacks it (so gather's
 * gradient, hence embedding training, fails there without this): core's
 * wasm kernel `segment_sum` for float32, plain JavaScript on the heap
 * otherwise, both reading and writing the tensors in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import { segmentSumInto, segmentSumShape } from './segment-sum-impl.js';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export const unsortedSegmentSumWasmConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as unknown as tf.UnsortedSegmentSumInputs & {
      x: tf.TensorInfo;
      segmentIds: tf.TensorInfo;
    };
    const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
    const wasm = backend as unknown as WasmBackendLike;
    const { outShape, inner } = segmentSumShape(x.shape, segmentIds.shape, numSegments);
    // Allocate first: an allocation can grow the heap and detach earlier views.
    const out = wasm.makeOutput(outShape, x.dtype);
    const simd = isWasmInternals(backend) ? simdKernelsFor(backend) : undefined;
    if (simd && isWasmInternals(backend) && x.dtype === 'float32' && segmentIds.dtype === 'int32') {
      const n = tf.util.sizeFromShape(segmentIds.shape);
      simd.segment_sum(
        offsetOf(backend, x),
        offsetOf(backend, segmentIds),
        offsetOf(backend, out),
        n,
        inner,
        numSegments,
      );
      return out;
    }
    const xs = wasm.typedArrayFromHeap(x);
    const ids = wasm.typedArrayFromHeap(segmentIds);
    const o = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
    segmentSumInto(xs, ids, inner, numSegments, o);
    return out;
  },
};
