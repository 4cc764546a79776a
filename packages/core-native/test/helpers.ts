/**
 * Shared by the accelerator's tests: start the wasm backend with the
 * accelerator on, and run a function on the original wasm kernels for a
 * reference computed another way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { initBackend } from '../../core/src/index.js';
import { disableWasmAccelerator, enableWasmAccelerator, loadAddon, type NativeAddon } from '../src/index.js';

export { expectClose, expectNoLeak } from '../../core/test/helpers.js';

/** Starts wasm with the accelerator (even under LAB_NATIVE=0); fails the suite when it does not come on here. */
export async function startAccelerated(): Promise<void> {
  const info = await initBackend({ prefer: 'wasm', native: true });
  expect(info.accelerator.enabled, info.accelerator.reason).toBe(true);
}

/** Runs `fn` on the wasm backend's own kernels, then turns the accelerator back on. */
export function onOriginalKernels<T>(fn: () => T): T {
  disableWasmAccelerator(tf);
  let out: T;
  let back: { enabled: boolean; reason: string } = { enabled: false, reason: 'not re-enabled' };
  try {
    out = fn();
  } finally {
    back = enableWasmAccelerator(tf);
  }
  if (!back.enabled) throw new Error(`accelerator did not come back: ${back.reason}`);
  return out;
}

/** The loaded addon object (the same one the kernels call), for call counting. */
export function addonObject(): NativeAddon {
  const r = loadAddon();
  if (!r.ok) throw new Error(r.reason);
  return r.addon;
}

/** Seeded normal tensor. */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
