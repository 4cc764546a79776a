/**
 * Kernels that TensorFlow.js backends lack (or run slowly) and that training
 * needs, registered by initBackend() (never at import). One KernelConfig per
 * file, listed here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulGradTransposed } from './batch-mat-mul-grad-transposed.js';
import { makeSimdBatchMatMul } from './batch-mat-mul-wasm.js';
import { makeWasmCast } from './cast-wasm.js';
import { makeWasmCompare, makeWasmMinMax } from './compare-min-max-wasm.js';
import { makeWasmCumsum } from './cumsum-wasm.js';
import { fusedGeluGradConfig, fusedGeluGradSimdConfig, fusedGeluSimdConfig } from './fused-gelu-simd.js';
import {
  fusedLayerNormGradConfig,
  fusedLayerNormGradSimdConfig,
  fusedLayerNormSimdConfig,
} from './fused-layer-norm-simd.js';
import { makeRowGatherV2 } from './gather-v2-wasm-rows.js';
import { makeAliasIdentity } from './identity-wasm-alias.js';
import { loadSimdKernels, simdKernelsFor } from './simd/instance.js';
import { makeCopySplitV } from './split-v-wasm-js.js';
import { makeLeadingSum } from './sum-wasm-leading.js';
import { makeWasmTranspose } from './transpose-wasm.js';
import { unsortedSegmentSumCpuConfig } from './unsorted-segment-sum-cpu.js';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum-wasm.js';
import { isWasmInternals } from './wasm-internals.js';

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

/**
 * Faster wasm kernels for when no native accelerator runs. Each wraps the
 * kernel it replaces and falls back to it for the cases it does not cover.
 */
const PLAIN_WASM_WRAPPERS: [string, (original: tf.KernelFunc) => tf.KernelConfig][] = [
  [tf.BatchMatMul, makeSimdBatchMatMul],
  [tf.GatherV2, makeRowGatherV2],
  [tf.Sum, makeLeadingSum],
  [tf.Identity, makeAliasIdentity],
  [tf.Transpose, makeWasmTranspose],
  [tf.SplitV, makeCopySplitV],
  [tf.Cast, makeWasmCast],
  [tf.Cumsum, makeWasmCumsum],
  [tf.Minimum, makeWasmMinMax(tf.Minimum, 0)],
  [tf.Maximum, makeWasmMinMax(tf.Maximum, 1)],
  [tf.Less, makeWasmCompare(tf.Less, 0)],
  [tf.LessEqual, makeWasmCompare(tf.LessEqual, 1)],
  [tf.Greater, makeWasmCompare(tf.Greater, 2)],
  [tf.GreaterEqual, makeWasmCompare(tf.GreaterEqual, 3)],
];
const ours = new Map<string, tf.KernelFunc>();
const replaced = new Map<string, tf.KernelConfig>();

function installPlainWasmKernels(): void {
  for (const [name, make] of PLAIN_WASM_WRAPPERS) {
    const current = tf.getKernel(name, 'wasm');
    if (!current || current.kernelFunc === ours.get(name)) continue;
    const mine = make(current.kernelFunc);
    replaced.set(name, current);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(mine);
    ours.set(name, mine.kernelFunc);
  }
}

/** Fused kernels core's ops call when registered; @lab/core-native registers native ones with the same contract. */
const PLAIN_WASM_FUSED: { kernels: tf.KernelConfig[]; gradient: tf.GradConfig }[] = [
  { kernels: [fusedLayerNormSimdConfig, fusedLayerNormGradSimdConfig], gradient: fusedLayerNormGradConfig },
  { kernels: [fusedGeluSimdConfig, fusedGeluGradSimdConfig], gradient: fusedGeluGradConfig },
];

function installPlainWasmFused(): void {
  for (const { kernels, gradient } of PLAIN_WASM_FUSED) {
    for (const config of kernels) {
      const current = tf.getKernel(config.kernelName, 'wasm');
      if (current?.kernelFunc === config.kernelFunc) continue;
      if (current) tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
    // Gradients are global; the accelerator's has the same contract, so either serves.
    if (!tf.getGradient(gradient.kernelName)) tf.registerGradient(gradient);
  }
}

function removePlainWasmFused(): void {
  for (const { kernels } of PLAIN_WASM_FUSED) {
    for (const config of kernels) {
      if (tf.getKernel(config.kernelName, 'wasm')?.kernelFunc === config.kernelFunc) {
        tf.unregisterKernel(config.kernelName, 'wasm');
      }
    }
  }
}

/** Puts back what installPlainWasmKernels() replaced (where ours is still the registered kernel). */
function removePlainWasmKernels(): void {
  for (const [name, original] of replaced) {
    const current = tf.getKernel(name, 'wasm');
    if (current?.kernelFunc !== ours.get(name)) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
}

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
  if (backendName === 'wasm') {
    // With the accelerator on, it has already wrapped whatever was registered; leave its kernels alone.
    if (options.accelerator) {
      if (!plainWasmWanted()) removePlainWasmKernels();
    } else if (plainWasmWanted()) {
      installPlainWasmKernels();
      if (simdLoaded()) installPlainWasmFused();
      else removePlainWasmFused();
    } else {
      removePlainWasmKernels();
      removePlainWasmFused();
    }
  }
  const current = tf.getGradient(tf.BatchMatMul);
  if (current && current !== batchMatMulGradTransposed) originalMatMulGrad = current;
  const wantTransposed = backendName === 'wasm' && !options.accelerator;
  if (wantTransposed) tf.registerGradient(batchMatMulGradTransposed);
  else if (originalMatMulGrad) tf.registerGradient(originalMatMulGrad);
}

/**
 * Compiles and instantiates core's SIMD kernels against the current wasm
 * backend's memory (initBackend awaits this before registering kernels).
 * Returns whether they loaded; without them the wrappers keep the backend's
 * own kernels and the fused ops their composites.
 */
export async function prepareWasmKernels(): Promise<boolean> {
  const backend = tf.backend();
  if (!isWasmInternals(backend) || !plainWasmWanted()) return false;
  return (await loadSimdKernels(backend)) !== undefined;
}

function simdLoaded(): boolean {
  const backend = tf.backend();
  return isWasmInternals(backend) && simdKernelsFor(backend) !== undefined;
}

/** LAB_WASM_KERNELS=0 keeps the wasm backend's own kernels (to measure or bisect). */
function plainWasmWanted(): boolean {
  return typeof process === 'undefined' || process.env.LAB_WASM_KERNELS !== '0';
}

/** Names of the plain-wasm replacement kernels currently registered. */
export function plainWasmKernelsActive(): string[] {
  return PLAIN_WASM_WRAPPERS.map(([name]) => name).filter(
    (name) => ours.has(name) && tf.getKernel(name, 'wasm')?.kernelFunc === ours.get(name),
  );
}

/** Whether the explicit-transpose BatchMatMul gradient is active (for reports and tests). */
export function transposedMatMulGradActive(): boolean {
  return tf.getGradient(tf.BatchMatMul) === batchMatMulGradTransposed;
}
