/**
 * Transpose as a native strided copy (4-byte dtypes, rank <= 8). Attention
 * splits and merges heads with [b, t, h, hd] <-> [b, h, t, hd] permutations
 * (last axis fixed, so each run is one memcpy); the wasm kernel walks them
 * element by element and runs far slower on rank 4 and above.
 */
import type { KernelFunc, TensorInfo, TransposeAttrs } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const transposeKernel: AcceleratedKernel = {
  kernelName: 'Transpose',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x } = args.inputs as unknown as { x: TensorInfo };
      const { perm } = args.attrs as unknown as TransposeAttrs;
      const rank = x.shape.length;
      if ((x.dtype !== 'float32' && x.dtype !== 'int32') || rank === 0 || rank > 8 || perm.length !== rank) {
        return ctx.original(args);
      }
      const sorted = [...perm].sort((p, q) => p - q);
      if (sorted.some((p, i) => p !== i)) return ctx.original(args);
      const out = backend.makeOutput(
        perm.map((p) => x.shape[p]!),
        x.dtype,
      );
      if (ctx.tf.util.sizeFromShape(x.shape) > 0) {
        ctx.addon.transpose(
          heapOf(backend),
          offsetOf(backend, x),
          [...x.shape],
          [...perm],
          offsetOf(backend, out),
        );
      }
      return out;
    };
  },
};
