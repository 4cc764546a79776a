/**
 * GELU (tanh form) as one kernel each way for the plain wasm backend, in
 * core's SIMD kernels: the same kernel names and contract as
 * @lab/core-native's (`LabFusedGelu`, `LabFusedGeluGrad`), which gelu() in
 * nn/activations.ts dispatches to. The composite ran 6 kernels forward and
 * ~13 backward over the [tokens, 4·d] activation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_GELU } from '../backend/fused.js';
import { offsetOf, requireSimd } from './simd/instance.js';

export const FUSED_GELU_GRAD = 'LabFusedGeluGrad';

export const fusedGeluSimdConfig: tf.KernelConfig = {
  kernelName: FUSED_GELU,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { b, simd } = requireSimd(backend, FUSED_GELU);
    const { x } = inputs as unknown as { x: tf.TensorInfo };
    const out = b.makeOutput([...x.shape], 'float32');
    simd.gelu(offsetOf(b, x), offsetOf(b, out), tf.util.sizeFromShape(x.shape));
    return out;
  },
};

export const fusedGeluGradSimdConfig: tf.KernelConfig = {
  kernelName: FUSED_GELU_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { b, simd } = requireSimd(backend, FUSED_GELU_GRAD);
    const { dy, x } = inputs as unknown as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const out = b.makeOutput([...x.shape], 'float32');
    simd.gelu_grad(offsetOf(b, dy), offsetOf(b, x), offsetOf(b, out), tf.util.sizeFromShape(x.shape));
    return out;
  },
};

/** The gradient of LabFusedGelu through LabFusedGeluGrad (the same contract as @lab/core-native's). */
export const fusedGeluGradConfig: tf.GradConfig = {
  kernelName: FUSED_GELU,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as tf.Tensor[];
    return {
      x: () => tf.engine().runKernel(FUSED_GELU_GRAD, { dy: dy as tf.Tensor, x: x! }, {}) as tf.Tensor,
    };
  },
};
