/**
 * GatherV2 along axis 0 (batchDims 0) for the plain wasm backend as row
 * copies: core's wasm kernel `gather_rows`, or TypedArray.copyWithin on the
 * heap without it. The backend's kernel computes an index per element and ran
 * the embedding lookup of a tiny-GPT step ([256, 128] by 1024 ids) in ~10 ms.
 * Other axes, batch dims and dtypes fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

export function makeRowGatherV2(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.GatherV2,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x, indices } = inputs as unknown as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
      const rank = x.shape.length;
      const parsedAxis = axis < 0 ? axis + rank : axis;
      if (
        !isWasmInternals(backend) ||
        parsedAxis !== 0 ||
        (batchDims ?? 0) !== 0 ||
        rank < 1 ||
        (x.dtype !== 'float32' && x.dtype !== 'int32') ||
        indices.dtype !== 'int32'
      ) {
        return original(args);
      }
      const rows = x.shape[0]!;
      const width = x.shape.slice(1).reduce((a, b) => a * b, 1);
      const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
      const badIndex = (id: number) => {
        backend.disposeData(out.dataId);
        return new LabError('GATHER_INDEX', `GatherV2: index ${id} is not in [0, ${rows - 1}]`, {
          index: id,
          rows,
        });
      };
      const simd = simdKernelsFor(backend);
      if (simd) {
        const n = tf.util.sizeFromShape(indices.shape);
        const at = simd.gather_rows(
          offsetOf(backend, x),
          offsetOf(backend, indices),
          offsetOf(backend, out),
          n,
          rows,
          width,
        );
        if (at >= 0) throw badIndex((backend.typedArrayFromHeap(indices) as Int32Array)[at]!);
        return out;
      }
      // Views after the allocation (it may grow the heap).
      const heap = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
      const outOff = heap.byteOffset / 4;
      const xOff = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
      const ids = backend.typedArrayFromHeap(indices) as Int32Array;
      const whole = new Int32Array(heap.buffer);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id < 0 || id >= rows) throw badIndex(id);
        whole.copyWithin(outOff + i * width, xOff + id * width, xOff + (id + 1) * width);
      }
      return out;
    },
  };
}
