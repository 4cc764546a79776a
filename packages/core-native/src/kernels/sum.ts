/**
 * Sum over leading axes (bias and LayerNorm gradients reduce [batch*seq, d]
 * over rows) as ones^T X on BLAS. The wasm kernel only reduces innermost axes,
 * so it first transposes the whole input; this reads it in place. Other axes
 * and dtypes go to the original kernel.
 */
import type { KernelFunc, SumAttrs, SumInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const sumKernel: AcceleratedKernel = {
  kernelName: 'Sum',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x } = args.inputs as unknown as SumInputs & { x: TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as SumAttrs;
      if (x.dtype !== 'float32' || x.shape.length === 0) return ctx.original(args);
      let axes: number[];
      try {
        axes = [...new Set(ctx.tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
      } catch {
        return ctx.original(args);
      }
      // Leading axes only: 0, 1, ..., r-1.
      if (axes.length === 0 || axes.some((v, i) => v !== i)) return ctx.original(args);
      const r = axes.length;
      const rows = ctx.tf.util.sizeFromShape(x.shape.slice(0, r));
      const rest = x.shape.slice(r);
      const cols = ctx.tf.util.sizeFromShape(rest);
      const outShape = keepDims ? [...x.shape.slice(0, r).map(() => 1), ...rest] : rest;
      const out = backend.makeOutput(outShape, 'float32');
      if (cols > 0)
        ctx.addon.sumRows(heapOf(backend), offsetOf(backend, x), rows, cols, offsetOf(backend, out));
      return out;
    };
  },
};
