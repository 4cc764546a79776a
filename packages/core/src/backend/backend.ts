/**
 * Backend selection. TensorFlow.js keeps one global engine; this file decides
 * which backend it runs on, registers what @lab needs on top of it (gradient
 * functions, kernels the wasm backend lacks, the optional native accelerator),
 * and reports the choice. Nothing here runs at import time.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import { prepareWasmKernels, registerMissingKernels } from '../kernels/register.js';
import { type AcceleratorStatus, loadNativeAccelerator, nativeOff } from './native.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** The order tried when the caller states no preference. */
export const DEFAULT_BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface InitBackendOptions {
  /** One backend or an ordered list to try; the first that loads wins. Default: DEFAULT_BACKEND_ORDER. Also read from LAB_BACKEND. */
  prefer?: BackendName | readonly BackendName[];
  /** Use `@lab/core-native` on the wasm backend when it is installed and healthy. Default true; LAB_NATIVE=0 turns it off. */
  native?: boolean;
}

export interface BackendInfo {
  /** Which of our backend names runs. */
  name: BackendName;
  /** TensorFlow.js's own backend name (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Backends tried before this one and why each was passed over. */
  skipped: { name: BackendName; reason: string }[];
  /** wasm only: SIMD instructions in use. */
  simd?: boolean;
  /**
   * wasm only: core's WebAssembly SIMD kernels (matmul, layer norm, GELU,
   * transpose, AdamW; packages/core/wasm/kernels.c) loaded into the backend's
   * heap. They serve whatever the accelerator does not (all of it on plain wasm).
   */
  simdKernels?: boolean;
  /** The native accelerator (wasm only). */
  accelerator: AcceleratorStatus;
}

let current: BackendInfo | undefined;
let gradientsRegistered = false;

/** What initBackend() chose, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

function parsePreference(prefer: InitBackendOptions['prefer']): readonly BackendName[] {
  const env = typeof process !== 'undefined' ? process.env.LAB_BACKEND : undefined;
  const raw =
    prefer ?? (env ? (env.split(',').map((s) => s.trim()) as BackendName[]) : DEFAULT_BACKEND_ORDER);
  const list = typeof raw === 'string' ? [raw] : raw;
  for (const name of list) {
    if (!DEFAULT_BACKEND_ORDER.includes(name)) {
      throw new LabError(
        'BACKEND_UNKNOWN',
        `unknown backend "${name}"; expected one of ${DEFAULT_BACKEND_ORDER.join(', ')}`,
        {
          name,
        },
      );
    }
  }
  return list;
}

async function ensureGradients(): Promise<void> {
  if (gradientsRegistered) return;
  // tfjs-core's Node bundle registers no gradient functions; the union
  // package's bundle does, into the same global registry.
  await import('@tensorflow/tfjs');
  gradientsRegistered = true;
}

// Typed as one event: @types/node's overloads take a single literal, not a union.
type ProcessEvent = 'uncaughtException';
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as unknown as ProcessEvent[];
type Listener = (...args: unknown[]) => void;

function processListeners(): Map<ProcessEvent, Listener[]> {
  const out = new Map<ProcessEvent, Listener[]>();
  if (typeof process === 'undefined' || typeof process.listeners !== 'function') return out;
  for (const event of PROCESS_EVENTS) out.set(event, [...(process.listeners(event) as Listener[])]);
  return out;
}

function removeAddedListeners(before: Map<ProcessEvent, Listener[]>): void {
  for (const [event, old] of before) {
    for (const listener of process.listeners(event) as Listener[]) {
      if (!old.includes(listener)) process.removeListener(event, listener);
    }
  }
}

async function tryLoad(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node-gpu' as string);
      return 'tensorflow';
    case 'tensorflow':
      await import(/* @vite-ignore */ '@tensorflow/tfjs-node' as string);
      return 'tensorflow';
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return 'wasm';
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return 'cpu';
  }
}

/**
 * Chooses and initialises the backend; safe to call again (switches backend).
 *
 * @example
 * const info = await initBackend();            // best available
 * const cpu = await initBackend({ prefer: 'cpu' });
 * console.log(info.name, info.accelerator.enabled ? 'native on' : info.accelerator.reason);
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const order = parsePreference(options.prefer);
  await ensureGradients();
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    let tfName: string;
    try {
      tfName = await tryLoad(name);
      const listenersBefore = processListeners();
      const ok = await tf.setBackend(tfName);
      // The wasm backend's Emscripten module installs process handlers that
      // rethrow every uncaught error from inside its minified source, which
      // then prints megabytes of code instead of the error. Take them out.
      removeAddedListeners(listenersBefore);
      if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
      await tf.ready();
      // tfjs's cpu backend prints an "install our node backend" banner on its
      // first write; initBackend already reports which backend runs and why.
      const cpu = tfName === 'cpu' ? (tf.findBackend('cpu') as { firstUse?: boolean } | null) : null;
      if (cpu?.firstUse === true) cpu.firstUse = false;
    } catch (err) {
      skipped.push({ name, reason: (err as Error).message.split('\n')[0] ?? String(err) });
      continue;
    }
    // Start from the wasm backend's kernels plus core's (the accelerator's, if
    // an earlier call turned it on, come off first): the accelerator wraps
    // whatever is registered and keeps it as its fallback, so core's kernels
    // (UnsortedSegmentSum among them) must be in place before it loads.
    const off = nativeOff('turned off (native: false or LAB_NATIVE=0)');
    const simdKernels = tfName === 'wasm' ? await prepareWasmKernels() : false;
    registerMissingKernels(tfName);
    const envNative = typeof process !== 'undefined' ? process.env.LAB_NATIVE : undefined;
    const wantNative = options.native ?? envNative !== '0';
    const accelerator: AcceleratorStatus =
      tfName !== 'wasm'
        ? { enabled: false, reason: `the accelerator serves the wasm backend, not ${tfName}` }
        : wantNative
          ? await loadNativeAccelerator()
          : off;
    // After the accelerator: which BatchMatMul gradient fits depends on it.
    registerMissingKernels(tfName, { accelerator: accelerator.enabled });
    current = {
      name,
      tfBackend: tfName,
      skipped,
      accelerator,
      ...(tfName === 'wasm'
        ? { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean, simdKernels }
        : {}),
    };
    return current;
  }
  throw new LabError(
    'BACKEND_UNAVAILABLE',
    `no backend could be loaded: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}`,
    {
      skipped,
    },
  );
}
