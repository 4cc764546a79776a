/**
 * Cast to the same dtype as an alias of the input (gradients cast float32 to
 * float32 often); real conversions go to the original kernel.
 */
import type { CastAttrs, CastInputs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const castKernel: AcceleratedKernel = {
  kernelName: 'Cast',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x } = args.inputs as unknown as CastInputs & { x: TensorInfo };
      const { dtype } = args.attrs as unknown as CastAttrs;
      if (x.dtype !== dtype || dtype === 'string' || dtype === 'complex64') return ctx.original(args);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    };
  },
};
