/**
 * Layer norm as one kernel each way for the plain wasm backend, in core's
 * SIMD kernels on the wasm heap: the same kernel names, inputs and outputs as
 * @lab/core-native's native ones (`LabFusedLayerNorm`, `LabFusedLayerNormGrad`;
 * core's backend/fused.ts dispatches to whichever is registered). The
 * composite runs ~9 kernels forward and ~20 backward per norm; at a tiny
 * model's sizes each kernel's fixed cost outweighs the arithmetic.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LAYER_NORM } from '../backend/fused.js';
import { offsetOf, requireSimd } from './simd/instance.js';

export const FUSED_LAYER_NORM_GRAD = 'LabFusedLayerNormGrad';

export const fusedLayerNormSimdConfig: tf.KernelConfig = {
  kernelName: FUSED_LAYER_NORM,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { b, simd } = requireSimd(backend, FUSED_LAYER_NORM);
    const { x, gamma, beta } = inputs as unknown as {
      x: tf.TensorInfo;
      gamma: tf.TensorInfo;
      beta?: tf.TensorInfo;
    };
    const { epsilon } = attrs as unknown as { epsilon: number };
    const cols = x.shape[x.shape.length - 1]!;
    const rows = x.shape.reduce((p, q) => p * q, 1) / cols;
    const out = b.makeOutput([...x.shape], 'float32');
    const betaOff = beta ? offsetOf(b, beta) : 0;
    simd.layer_norm(
      offsetOf(b, x),
      offsetOf(b, gamma),
      betaOff,
      beta ? 1 : 0,
      offsetOf(b, out),
      rows,
      cols,
      epsilon,
    );
    return out;
  },
};

export const fusedLayerNormGradSimdConfig: tf.KernelConfig = {
  kernelName: FUSED_LAYER_NORM_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { b, simd } = requireSimd(backend, FUSED_LAYER_NORM_GRAD);
    const { dy, x, gamma } = inputs as unknown as {
      dy: tf.TensorInfo;
      x: tf.TensorInfo;
      gamma: tf.TensorInfo;
    };
    const { epsilon } = attrs as unknown as { epsilon: number };
    const cols = x.shape[x.shape.length - 1]!;
    const rows = x.shape.reduce((p, q) => p * q, 1) / cols;
    const dx = b.makeOutput([...x.shape], 'float32');
    const dgamma = b.makeOutput([cols], 'float32');
    const dbeta = b.makeOutput([cols], 'float32');
    // The kernel accumulates into dgamma and dbeta; fresh heap memory is not zeroed.
    (b.typedArrayFromHeap(dgamma) as Float32Array).fill(0);
    (b.typedArrayFromHeap(dbeta) as Float32Array).fill(0);
    simd.layer_norm_grad(
      offsetOf(b, dy),
      offsetOf(b, x),
      offsetOf(b, gamma),
      offsetOf(b, dx),
      offsetOf(b, dgamma),
      offsetOf(b, dbeta),
      rows,
      cols,
      epsilon,
    );
    return [dx, dgamma, dbeta];
  },
};

/** The gradient of LabFusedLayerNorm through LabFusedLayerNormGrad (the same contract as @lab/core-native's). */
export const fusedLayerNormGradConfig: tf.GradConfig = {
  kernelName: FUSED_LAYER_NORM,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma] = saved as tf.Tensor[];
    const { epsilon } = attrs as unknown as { epsilon: number };
    const [dx, dgamma, dbeta] = tf
      .engine()
      .runKernel(
        FUSED_LAYER_NORM_GRAD,
        { dy: dy as tf.Tensor, x: x!, gamma: gamma! },
        { epsilon },
      ) as tf.Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};
