/**
 * Concat as strided row copies in the heap: each input is an [outer, inner_i]
 * block of the [outer, sum inner_i] output. The split of the fused QKV
 * projection has Concat as its gradient, on the last axis, where the wasm
 * kernel is slow. 4-byte dtypes only; anything else, or shapes that do not
 * line up, go to the original kernel (which throws the proper error).
 */
import type { ConcatAttrs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const concatKernel: AcceleratedKernel = {
  kernelName: 'Concat',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const inputs = args.inputs as unknown as TensorInfo[];
      const { axis } = args.attrs as unknown as ConcatAttrs;
      const first = inputs[0];
      if (first === undefined || inputs.length < 2) return ctx.original(args);
      const dtype = first.dtype;
      const rank = first.shape.length;
      if ((dtype !== 'float32' && dtype !== 'int32') || rank === 0) return ctx.original(args);
      let ax: number;
      try {
        ax = ctx.tf.util.parseAxisParam(axis, first.shape)[0]!;
      } catch {
        return ctx.original(args);
      }
      for (const t of inputs) {
        if (t.dtype !== dtype || t.shape.length !== rank) return ctx.original(args);
        for (let d = 0; d < rank; d++)
          if (d !== ax && t.shape[d] !== first.shape[d]) return ctx.original(args);
      }
      const outShape = [...first.shape];
      outShape[ax] = inputs.reduce((s, t) => s + t.shape[ax]!, 0);
      const outer = ctx.tf.util.sizeFromShape(first.shape.slice(0, ax));
      const out = backend.makeOutput(outShape, dtype);
      const outRow = ctx.tf.util.sizeFromShape(outShape.slice(ax)) * 4;
      const heap = heapOf(backend);
      const dst = offsetOf(backend, out);
      let col = 0;
      for (const t of inputs) {
        const rowBytes = ctx.tf.util.sizeFromShape(t.shape.slice(ax)) * 4;
        if (rowBytes > 0 && outer > 0) {
          ctx.addon.copyRows(heap, offsetOf(backend, t), rowBytes, dst + col, outRow, outer, rowBytes);
        }
        col += rowBytes;
      }
      return out;
    };
  },
};
