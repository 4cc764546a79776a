/**
 * Kernels that TensorFlow.js backends lack and that training needs, registered
 * by initBackend() (never at import). One KernelConfig per file, listed here.
 */
import * as tf from '@tensorflow/tfjs-core';

const MISSING_KERNELS: Record<string, tf.KernelConfig[]> = {
  wasm: [],
  cpu: [],
};

const registered = new Set<string>();

export function registerMissingKernels(backendName: string): void {
  for (const config of MISSING_KERNELS[backendName] ?? []) {
    const key = `${config.backendName}/${config.kernelName}`;
    if (registered.has(key)) continue;
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
    registered.add(key);
  }
}
