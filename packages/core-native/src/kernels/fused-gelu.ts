/**
 * A fused GELU (tanh approximation, written exactly as x * sigmoid(2z)) and
 * its gradient as two native kernels: one pass each way instead of the ~6
 * forward and ~12 backward kernels of the composite. @lab/core's gelu() calls
 * it through `runKernel(FUSED_GELU)` when the kernel is registered.
 */
import type { GradConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { FusedKernel, KernelContextBase } from './context.js';

/** Kernel names (a contract with @lab/core's backend/fused.ts). */
export const FUSED_GELU = 'LabFusedGelu';
export const FUSED_GELU_GRAD = 'LabFusedGeluGrad';

export const fusedGeluKernel: FusedKernel = {
  kernelName: FUSED_GELU,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x } = args.inputs as unknown as { x: TensorInfo };
      if (x.dtype !== 'float32') throw new Error(`${FUSED_GELU}: float32 only, got ${x.dtype}`);
      const out = backend.makeOutput([...x.shape], 'float32');
      const n = ctx.tf.util.sizeFromShape(x.shape);
      if (n > 0) ctx.addon.gelu(heapOf(backend), offsetOf(backend, x), n, offsetOf(backend, out));
      return out;
    };
  },
  gradient(ctx: KernelContextBase): GradConfig {
    return {
      kernelName: FUSED_GELU,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as Tensor[];
        return {
          x: () => ctx.tf.engine().runKernel(FUSED_GELU_GRAD, { dy: dy as Tensor, x: x! }, {}) as Tensor,
        };
      },
    };
  },
};

export const fusedGeluGradKernel: FusedKernel = {
  kernelName: FUSED_GELU_GRAD,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { dy, x } = args.inputs as unknown as { dy: TensorInfo; x: TensorInfo };
      const out = backend.makeOutput([...x.shape], 'float32');
      const n = ctx.tf.util.sizeFromShape(x.shape);
      if (n > 0) {
        ctx.addon.geluGrad(
          heapOf(backend),
          offsetOf(backend, dy),
          offsetOf(backend, x),
          n,
          offsetOf(backend, out),
        );
      }
      return out;
    };
  },
};
