/**
 * GatherV2 on axis 0 (embedding lookups) as row copies in the heap. The wasm
 * kernel reads the indices back to JavaScript to check them, then reshapes
 * and gathers element-wise; this checks and copies whole rows natively. Other
 * axes, batchDims and 8-byte or string dtypes go to the original kernel, as
 * does an out-of-range index (it throws the proper error).
 */
import type { GatherV2Attrs, GatherV2Inputs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const gatherV2Kernel: AcceleratedKernel = {
  kernelName: 'GatherV2',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x, indices } = args.inputs as unknown as GatherV2Inputs & {
        x: TensorInfo;
        indices: TensorInfo;
      };
      const { axis, batchDims } = args.attrs as unknown as GatherV2Attrs;
      if (
        (x.dtype !== 'float32' && x.dtype !== 'int32') ||
        indices.dtype !== 'int32' ||
        (batchDims ?? 0) !== 0
      ) {
        return ctx.original(args);
      }
      if (x.shape.length === 0) return ctx.original(args);
      let parsed: number;
      try {
        parsed = ctx.tf.util.parseAxisParam(axis, x.shape)[0]!;
      } catch {
        return ctx.original(args);
      }
      if (parsed !== 0) return ctx.original(args);
      const rows = x.shape[0]!;
      const rowSize = ctx.tf.util.sizeFromShape(x.shape.slice(1));
      const n = ctx.tf.util.sizeFromShape(indices.shape);
      const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
      if (n === 0) return out;
      if (rowSize === 0) {
        backend.disposeData(out.dataId);
        return ctx.original(args);
      }
      const ok = ctx.addon.gatherRows(
        heapOf(backend),
        offsetOf(backend, x),
        rows,
        rowSize * 4,
        offsetOf(backend, indices),
        n,
        offsetOf(backend, out),
      );
      if (ok) return out;
      backend.disposeData(out.dataId);
      return ctx.original(args);
    };
  },
};
