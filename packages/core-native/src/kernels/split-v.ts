/**
 * SplitV as strided row copies in the heap: each output is an [outer, inner_i]
 * block cut from the [outer, sum inner_i] input (the fused QKV projection is
 * split on its last axis, where the wasm kernel is slow). 4-byte dtypes only;
 * anything else goes to the original kernel.
 */
import type { KernelFunc, SplitVAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const splitVKernel: AcceleratedKernel = {
  kernelName: 'SplitV',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x } = args.inputs as unknown as { x: TensorInfo };
      const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
      if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length === 0) return ctx.original(args);
      let ax: number;
      let sizes: number[];
      try {
        ax = ctx.tf.util.parseAxisParam(axis, x.shape)[0]!;
        sizes = ctx.tf.backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax);
      } catch {
        return ctx.original(args);
      }
      if (sizes.reduce((s, v) => s + v, 0) !== x.shape[ax]) return ctx.original(args);
      const outer = ctx.tf.util.sizeFromShape(x.shape.slice(0, ax));
      const innerAfter = ctx.tf.util.sizeFromShape(x.shape.slice(ax + 1));
      const inRow = x.shape[ax]! * innerAfter * 4;
      const outs = sizes.map((size) => {
        const shape = [...x.shape];
        shape[ax] = size;
        return backend.makeOutput(shape, x.dtype);
      });
      const heap = heapOf(backend); // after every output's allocation
      const src = offsetOf(backend, x);
      let col = 0;
      sizes.forEach((size, i) => {
        const rowBytes = size * innerAfter * 4;
        if (rowBytes > 0 && outer > 0) {
          ctx.addon.copyRows(heap, src + col, inRow, offsetOf(backend, outs[i]!), rowBytes, outer, rowBytes);
        }
        col += rowBytes;
      });
      return outs;
    };
  },
};
