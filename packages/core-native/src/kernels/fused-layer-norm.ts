/**
 * A fused layer norm over the last axis, y = (x - mean) / sqrt(var + eps) *
 * gamma + beta (biased variance, as PyTorch), and its gradient as native
 * kernels: one pass forward, one backward giving dx, dgamma and dbeta, in
 * place of ~10 forward and ~25 backward kernels. Row statistics accumulate in
 * double. @lab/core's LayerNorm calls it through `runKernel(FUSED_LAYER_NORM)`.
 */
import type { GradConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { FusedKernel, KernelContextBase } from './context.js';

/** Kernel names (a contract with @lab/core's backend/fused.ts). Attrs: { epsilon }. */
export const FUSED_LAYER_NORM = 'LabFusedLayerNorm';
export const FUSED_LAYER_NORM_GRAD = 'LabFusedLayerNormGrad';

function epsPico(epsilon: number): number {
  return Math.round(epsilon * 1e12);
}

export const fusedLayerNormKernel: FusedKernel = {
  kernelName: FUSED_LAYER_NORM,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x, gamma, beta } = args.inputs as unknown as {
        x: TensorInfo;
        gamma: TensorInfo;
        beta?: TensorInfo;
      };
      const { epsilon } = args.attrs as unknown as { epsilon: number };
      const cols = x.shape[x.shape.length - 1] ?? 0;
      if (x.dtype !== 'float32' || cols === 0 || gamma.shape.length !== 1 || gamma.shape[0] !== cols) {
        throw new Error(`${FUSED_LAYER_NORM}: float32 x [..., d] with gamma [d] expected`);
      }
      const rows = ctx.tf.util.sizeFromShape(x.shape) / cols;
      const out = backend.makeOutput([...x.shape], 'float32');
      ctx.addon.layerNorm(
        heapOf(backend),
        offsetOf(backend, x),
        rows,
        cols,
        offsetOf(backend, gamma),
        beta ? offsetOf(backend, beta) : -1,
        epsPico(epsilon),
        offsetOf(backend, out),
      );
      return out;
    };
  },
  gradient(ctx: KernelContextBase): GradConfig {
    return {
      kernelName: FUSED_LAYER_NORM,
      inputsToSave: ['x', 'gamma'],
      gradFunc: (dy, saved, attrs) => {
        const [x, gamma] = saved as Tensor[];
        const { epsilon } = attrs as unknown as { epsilon: number };
        // All three in one kernel; the engine disposes the ones nobody asks for.
        const [dx, dgamma, dbeta] = ctx.tf
          .engine()
          .runKernel(
            FUSED_LAYER_NORM_GRAD,
            { dy: dy as Tensor, x: x!, gamma: gamma! },
            { epsilon },
          ) as Tensor[];
        return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
      },
    };
  },
};

export const fusedLayerNormGradKernel: FusedKernel = {
  kernelName: FUSED_LAYER_NORM_GRAD,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { dy, x, gamma } = args.inputs as unknown as { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo };
      const { epsilon } = args.attrs as unknown as { epsilon: number };
      const cols = x.shape[x.shape.length - 1]!;
      const rows = ctx.tf.util.sizeFromShape(x.shape) / cols;
      const dx = backend.makeOutput([...x.shape], 'float32');
      const dgamma = backend.makeOutput([cols], 'float32');
      const dbeta = backend.makeOutput([cols], 'float32');
      ctx.addon.layerNormGrad(
        heapOf(backend),
        offsetOf(backend, dy),
        offsetOf(backend, x),
        rows,
        cols,
        offsetOf(backend, gamma),
        epsPico(epsilon),
        offsetOf(backend, dx),
        offsetOf(backend, dgamma),
        offsetOf(backend, dbeta),
      );
      return [dx, dgamma, dbeta];
    };
  },
};
