/**
 * Kernels that TensorFlow.js backends lack (or run slowly) and that training
 * needs, registered by initBackend() (never at import). One KernelConfig per
 * file, listed here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulGradTransposed } from './batch-mat-mul-grad-transposed.js';
import { unsortedSegmentSumCpuConfig } from './unsorted-segment-sum-cpu.js';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum-wasm.js';

/** Registered when the backend has no kernel of that name. */
const MISSING_KERNELS: Record<string, tf.KernelConfig[]> = {
  wasm: [unsortedSegmentSumWasmConfig],
  cpu: [],
};

/** Registered in place of the backend's own kernel (which is slow). */
const REPLACED_KERNELS: Record<string, tf.KernelConfig[]> = {
  wasm: [],
  cpu: [unsortedSegmentSumCpuConfig],
};

export interface RegisterKernelsOptions {
  /** A native accelerator serves BatchMatMul (it transposes for free): keep tfjs's own matmul gradient. */
  accelerator?: boolean;
}

const registered = new Set<string>();
let originalMatMulGrad: tf.GradConfig | undefined;

/**
 * Registers the kernels `backendName` lacks, replaces the slow ones, and
 * picks the BatchMatMul gradient: explicit transposes on plain wasm, tfjs's
 * own otherwise. Gradients are global in tfjs, so this runs on every
 * initBackend() call to match the backend just chosen.
 */
export function registerMissingKernels(backendName: string, options: RegisterKernelsOptions = {}): void {
  for (const config of MISSING_KERNELS[backendName] ?? []) {
    const key = `${config.backendName}/${config.kernelName}`;
    if (registered.has(key)) continue;
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
    registered.add(key);
  }
  for (const config of REPLACED_KERNELS[backendName] ?? []) {
    const key = `${config.backendName}/${config.kernelName}`;
    if (registered.has(key)) continue;
    if (tf.getKernel(config.kernelName, config.backendName) != null) {
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
    registered.add(key);
  }
  const current = tf.getGradient(tf.BatchMatMul);
  if (current && current !== batchMatMulGradTransposed) originalMatMulGrad = current;
  const wantTransposed = backendName === 'wasm' && !options.accelerator;
  if (wantTransposed) tf.registerGradient(batchMatMulGradTransposed);
  else if (originalMatMulGrad) tf.registerGradient(originalMatMulGrad);
}

/** Whether the explicit-transpose BatchMatMul gradient is active (for reports and tests). */
export function transposedMatMulGradActive(): boolean {
  return tf.getGradient(tf.BatchMatMul) === batchMatMulGradTransposed;
}
