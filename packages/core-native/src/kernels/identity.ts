/**
 * Identity as an alias: the output shares the input's heap memory (one more
 * reference) instead of a copy. Tensors are immutable, so nothing can observe
 * the difference; tfjs's own Reshape aliases the same way. Strings go to the
 * original kernel.
 */
import type { IdentityInputs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const identityKernel: AcceleratedKernel = {
  kernelName: 'Identity',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x } = args.inputs as unknown as IdentityInputs & { x: TensorInfo };
      if (x.dtype === 'string' || x.dtype === 'complex64') return ctx.original(args);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    };
  },
};
