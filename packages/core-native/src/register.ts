/**
 * Turns the accelerator on and off on tfjs's wasm backend: loads the addon,
 * opens and measures a BLAS library (once per process), and swaps in the
 * accelerated kernels, keeping each original for the cases it does not cover
 * and for switching back. Called by @lab/core's initBackend(); nothing here
 * runs at import time.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './addon.js';
import { type BlasInfo, type BlasOptions, openBlas } from './blas.js';
import { batchMatMulKernel } from './kernels/batch-mat-mul.js';
import { castKernel } from './kernels/cast.js';
import { concatKernel } from './kernels/concat.js';
import type { AcceleratedKernel, FusedKernel, TfCore } from './kernels/context.js';
import { fusedGeluGradKernel, fusedGeluKernel } from './kernels/fused-gelu.js';
import { fusedLayerNormGradKernel, fusedLayerNormKernel } from './kernels/fused-layer-norm.js';
import { gatherV2Kernel } from './kernels/gather-v2.js';
import { identityKernel } from './kernels/identity.js';
import { scaledMatMulKernel } from './kernels/scaled-mat-mul.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './kernels/softmax-cross-entropy.js';
import { splitVKernel } from './kernels/split-v.js';
import { sumKernel } from './kernels/sum.js';
import { transposeKernel } from './kernels/transpose.js';
import { unsortedSegmentSumKernel } from './kernels/unsorted-segment-sum.js';
import { isWasmBackendLike } from './wasm-heap.js';

/** Kernels replaced on the wasm backend, in order (each keeps the one it replaces as a fallback). */
export const ACCELERATED_KERNELS: readonly AcceleratedKernel[] = [
  batchMatMulKernel,
  sumKernel,
  identityKernel,
  castKernel,
  gatherV2Kernel,
  unsortedSegmentSumKernel,
  concatKernel,
  splitVKernel,
  transposeKernel,
];

/** New fused kernels (and their gradients) that @lab/core's ops use when registered. */
export const FUSED_KERNELS: readonly FusedKernel[] = [
  fusedGeluKernel,
  fusedGeluGradKernel,
  fusedLayerNormKernel,
  fusedLayerNormGradKernel,
  scaledMatMulKernel,
  softmaxCrossEntropyKernel,
  softmaxCrossEntropyGradKernel,
];

export interface AcceleratorOptions extends BlasOptions {
  /** Path of the addon binary; for tests that simulate a missing build. */
  addonPath?: string;
}

/** What enableWasmAccelerator() did; the same shape @lab/core reports. */
export interface AcceleratorReport {
  enabled: boolean;
  /** What it runs on when enabled; why it is off otherwise. */
  reason: string;
  /** Kernel names replaced on the wasm backend. */
  kernels?: string[];
  /** The BLAS library in use (path, vendor, version, threads, measured GFLOP/s). */
  blas?: BlasInfo;
}

type Loaded = { ok: true; addon: NativeAddon; blas: BlasInfo } | { ok: false; reason: string };

// The addon and the BLAS choice are per process; the key keeps a test that
// asks for another library or threshold from reusing an earlier answer.
const loadCache = new Map<string, Loaded>();
/** Original wasm kernels we replaced, by kernel name. */
const originals = new Map<string, KernelConfig>();
/** The addon while the accelerator is on (for in-place updates outside kernels). */
let active: NativeAddon | undefined;

/** The loaded addon while the accelerator is enabled, else undefined. */
export function activeAddon(): NativeAddon | undefined {
  return active;
}

function load(options: AcceleratorOptions): Loaded {
  const env = typeof process !== 'undefined' ? process.env : {};
  const key = JSON.stringify([
    options.addonPath,
    options.library ?? env.LAB_BLAS_LIB,
    options.threads ?? env.LAB_BLAS_THREADS,
    options.minGflops ?? env.LAB_BLAS_MIN_GFLOPS,
  ]);
  const hit = loadCache.get(key);
  if (hit) return hit;
  let result: Loaded;
  const addon = loadAddon(options.addonPath);
  if (!addon.ok) {
    result = addon;
  } else {
    const blas = openBlas(addon.addon, options);
    result = blas.ok ? { ok: true, addon: addon.addon, blas: blas.info } : blas;
  }
  loadCache.set(key, result);
  return result;
}

/** Puts the wasm backend's own kernels back; a no-op when nothing was replaced. */
export function disableWasmAccelerator(tf: TfCore): void {
  active = undefined;
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  originals.clear();
  for (const kernel of FUSED_KERNELS) {
    if (tf.getKernel(kernel.kernelName, 'wasm') != null) tf.unregisterKernel(kernel.kernelName, 'wasm');
  }
}

/**
 * Loads the addon and a BLAS library and registers the accelerated kernels on
 * the wasm backend. Never throws for an environment problem: the report says
 * why it is off, and the plain wasm kernels stay.
 *
 * @param tf tfjs-core as the caller imported it (one engine for both packages).
 * @example
 * import * as tf from '@tensorflow/tfjs-core';
 * const r = enableWasmAccelerator(tf);
 * console.log(r.enabled ? r.reason : `off: ${r.reason}`);
 */
export function enableWasmAccelerator(tf: TfCore, options: AcceleratorOptions = {}): AcceleratorReport {
  if (tf.getBackend() !== 'wasm') {
    return { enabled: false, reason: `the accelerator serves the wasm backend, not ${tf.getBackend()}` };
  }
  if (!isWasmBackendLike(tf.backend())) {
    return {
      enabled: false,
      reason:
        'the wasm backend does not expose the internals the accelerator uses (tfjs-backend-wasm 4.22 expected)',
    };
  }
  const loaded = load(options);
  if (!loaded.ok) {
    disableWasmAccelerator(tf);
    return { enabled: false, reason: loaded.reason };
  }
  const names: string[] = [];
  for (const kernel of ACCELERATED_KERNELS) {
    const current = originals.get(kernel.kernelName) ?? tf.getKernel(kernel.kernelName, 'wasm');
    if (current == null) continue;
    originals.set(kernel.kernelName, current);
    const kernelFunc: KernelFunc = kernel.create({ tf, addon: loaded.addon, original: current.kernelFunc });
    tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel({ kernelName: kernel.kernelName, backendName: 'wasm', kernelFunc });
    names.push(kernel.kernelName);
  }
  const base = { tf, addon: loaded.addon };
  for (const kernel of FUSED_KERNELS) {
    if (tf.getKernel(kernel.kernelName, 'wasm') != null) tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName: 'wasm',
      kernelFunc: kernel.create(base),
    });
    // Gradients are global in tfjs and keyed by kernel name; ours only ever run for our kernels.
    if (kernel.gradient) tf.registerGradient(kernel.gradient(base));
    names.push(kernel.kernelName);
  }
  active = loaded.addon;
  const { blas } = loaded;
  const threads =
    blas.threads < 0 ? 'thread count not settable' : `${blas.threads} thread${blas.threads === 1 ? '' : 's'}`;
  return {
    enabled: true,
    reason: `${blas.vendor} at ${blas.path} (${threads}, ${blas.gflops.toFixed(1)} GFLOP/s on sgemm 256^3)`,
    kernels: names,
    blas,
  };
}
