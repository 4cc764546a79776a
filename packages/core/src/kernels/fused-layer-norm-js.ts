/**
 * Layer norm as one kernel each way for the plain wasm backend, in
 * JavaScript on the wasm heap: the same kernel names, inputs and outputs as
 * @lab/core-native's native ones (`LabFusedLayerNorm`, `LabFusedLayerNormGrad`;
 * core's backend/fused.ts dispatches to whichever is registered). The
 * composite runs ~9 kernels forward and ~20 backward per norm; at a tiny
 * model's sizes each kernel's fixed cost outweighs the arithmetic.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LAYER_NORM } from '../backend/fused.js';
import { isWasmInternals, type WasmBackendInternals } from './wasm-internals.js';

export const FUSED_LAYER_NORM_GRAD = 'LabFusedLayerNormGrad';

function internals(backend: unknown, name: string): WasmBackendInternals {
  if (!isWasmInternals(backend)) throw new Error(`${name}: wasm backend expected`);
  return backend;
}

function floats(backend: WasmBackendInternals, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

export const fusedLayerNormJsConfig: tf.KernelConfig = {
  kernelName: FUSED_LAYER_NORM,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = internals(backend, FUSED_LAYER_NORM);
    const { x, gamma, beta } = inputs as unknown as {
      x: tf.TensorInfo;
      gamma: tf.TensorInfo;
      beta?: tf.TensorInfo;
    };
    const { epsilon } = attrs as unknown as { epsilon: number };
    const cols = x.shape[x.shape.length - 1]!;
    const rows = x.shape.reduce((p, q) => p * q, 1) / cols;
    const out = b.makeOutput([...x.shape], 'float32');
    const xs = floats(b, x);
    const g = floats(b, gamma);
    const be = beta ? floats(b, beta) : null;
    const o = floats(b, out);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      // One pass for both moments: JavaScript numbers are doubles, so sumSq/n - mean² loses nothing that matters here.
      let sum = 0;
      let sumSq = 0;
      for (let c = 0; c < cols; c++) {
        const v = xs[base + c]!;
        sum += v;
        sumSq += v * v;
      }
      const mean = sum / cols;
      const inv = 1 / Math.sqrt(Math.max(sumSq / cols - mean * mean, 0) + epsilon);
      if (be) {
        for (let c = 0; c < cols; c++) o[base + c] = (xs[base + c]! - mean) * inv * g[c]! + be[c]!;
      } else {
        for (let c = 0; c < cols; c++) o[base + c] = (xs[base + c]! - mean) * inv * g[c]!;
      }
    }
    return out;
  },
};

export const fusedLayerNormGradJsConfig: tf.KernelConfig = {
  kernelName: FUSED_LAYER_NORM_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const b = internals(backend, FUSED_LAYER_NORM_GRAD);
    const { dy, x, gamma } = inputs as unknown as {
      dy: tf.TensorInfo;
      x: tf.TensorInfo;
      gamma: tf.TensorInfo;
    };
    const { epsilon } = attrs as unknown as { epsilon: number };
    const cols = x.shape[x.shape.length - 1]!;
    const rows = x.shape.reduce((p, q) => p * q, 1) / cols;
    const dxInfo = b.makeOutput([...x.shape], 'float32');
    const dgInfo = b.makeOutput([cols], 'float32');
    const dbInfo = b.makeOutput([cols], 'float32');
    const dys = floats(b, dy);
    const xs = floats(b, x);
    const g = floats(b, gamma);
    const dx = floats(b, dxInfo);
    const dgamma = new Float64Array(cols);
    const dbeta = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let sum = 0;
      let sumSq = 0;
      for (let c = 0; c < cols; c++) {
        const v = xs[base + c]!;
        sum += v;
        sumSq += v * v;
      }
      const mean = sum / cols;
      const inv = 1 / Math.sqrt(Math.max(sumSq / cols - mean * mean, 0) + epsilon);
      // dx = inv·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·gamma and x̂ = (x - mean)·inv.
      let sumG = 0;
      let sumGX = 0;
      for (let c = 0; c < cols; c++) {
        const xh = (xs[base + c]! - mean) * inv;
        const d = dys[base + c]!;
        const gc = d * g[c]!;
        sumG += gc;
        sumGX += gc * xh;
        dgamma[c]! += d * xh;
        dbeta[c]! += d;
      }
      const mg = sumG / cols;
      const mgx = sumGX / cols;
      for (let c = 0; c < cols; c++) {
        const xh = (xs[base + c]! - mean) * inv;
        dx[base + c] = inv * (dys[base + c]! * g[c]! - mg - xh * mgx);
      }
    }
    floats(b, dgInfo).set(dgamma);
    floats(b, dbInfo).set(dbeta);
    return [dxInfo, dgInfo, dbInfo];
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
