/**
 * Loads the optional `@lab/core-native` accelerator for the wasm backend: a
 * system BLAS (OpenBLAS, MKL, BLIS) as BatchMatMul plus a few kernel overrides,
 * reading tensors in place in the wasm heap. When it is not installed, not
 * built, finds no BLAS library or only a slow one, the plain wasm kernels stay
 * and the status says why. Nothing here runs at import time.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Whether the native accelerator runs, on what, and which kernels it replaced. */
export interface AcceleratorStatus {
  enabled: boolean;
  /** Why it is off, or what it runs on (library, threads, measured speed) when on. */
  reason: string;
  /** Kernels it replaced on the wasm backend. */
  kernels?: string[];
  /** The BLAS library file in use. */
  library?: string;
  /** OpenBLAS, MKL, BLIS or unknown. */
  vendor?: string;
  /** The library's version/configuration string, when it reports one. */
  version?: string;
  /** BLAS threads in force (-1 when the library has no thread control). */
  threads?: number;
  /** sgemm throughput measured at load (256^3, GFLOP/s). */
  gflops?: number;
}

/** The part of `@lab/core-native`'s API that core uses (kept structural: core has no build-time dependency on it). */
interface CoreNativeModule {
  enableWasmAccelerator(
    tfCore: typeof tf,
    options?: Record<string, unknown>,
  ): {
    enabled: boolean;
    reason: string;
    kernels?: string[];
    blas?: { path: string; vendor: string; version: string; threads: number; gflops: number };
  };
  disableWasmAccelerator(tfCore: typeof tf): void;
  /** In-place AdamW over all parameters; false when it declines (see backend/fused.ts). */
  adamwInPlace?(tfCore: typeof tf, args: Record<string, unknown>): boolean;
}

export interface LoadNativeOptions {
  /** Imports `@lab/core-native`; tests replace it to simulate a missing package. */
  importer?: () => Promise<unknown>;
  /** Passed to the accelerator: `library`, `threads`, `minGflops`, `addonPath` (see @lab/core-native). */
  accelerator?: Record<string, unknown>;
}

const PACKAGE = '@lab/core-native';
let loadedModule: CoreNativeModule | undefined;
let enabled = false;

/** The loaded `@lab/core-native` module while its accelerator is on (for fused ops outside kernels). */
export function activeNativeModule(): CoreNativeModule | undefined {
  return enabled ? loadedModule : undefined;
}

function defaultImporter(): Promise<unknown> {
  return import(/* @vite-ignore */ PACKAGE as string);
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  const message = String((err as Error)?.message ?? err);
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    (message.includes(PACKAGE) && /cannot find|failed to (load|resolve)|not found/i.test(message))
  );
}

/**
 * Loads `@lab/core-native` and turns it on for the current (wasm) backend.
 * Never throws for a missing or unhealthy accelerator: the status says why it
 * is off. initBackend() calls this; call it directly only to pass options.
 *
 * @example
 * const status = await loadNativeAccelerator();
 * console.log(status.enabled ? status.reason : `native off: ${status.reason}`);
 */
export async function loadNativeAccelerator(options: LoadNativeOptions = {}): Promise<AcceleratorStatus> {
  let mod: CoreNativeModule;
  try {
    mod = (await (options.importer ?? defaultImporter)()) as CoreNativeModule;
    if (typeof mod?.enableWasmAccelerator !== 'function') {
      return {
        enabled: false,
        reason: `${PACKAGE} loaded but has no enableWasmAccelerator() (version mismatch?)`,
      };
    }
  } catch (err) {
    if (isModuleNotFound(err)) return { enabled: false, reason: `${PACKAGE} is not installed` };
    return {
      enabled: false,
      reason: `${PACKAGE} failed to load: ${String((err as Error)?.message ?? err).split('\n')[0]}`,
    };
  }
  loadedModule = mod;
  let report: ReturnType<CoreNativeModule['enableWasmAccelerator']>;
  try {
    report = mod.enableWasmAccelerator(tf, options.accelerator);
  } catch (err) {
    enabled = false;
    mod.disableWasmAccelerator(tf);
    return {
      enabled: false,
      reason: `${PACKAGE} failed to start: ${String((err as Error)?.message ?? err).split('\n')[0]}`,
    };
  }
  enabled = report.enabled;
  const status: AcceleratorStatus = { enabled: report.enabled, reason: report.reason };
  if (report.kernels) status.kernels = report.kernels;
  if (report.blas) {
    status.library = report.blas.path;
    status.vendor = report.blas.vendor;
    status.version = report.blas.version;
    status.threads = report.blas.threads;
    status.gflops = report.blas.gflops;
  }
  return status;
}

/**
 * Puts the wasm backend's own kernels back if the accelerator had replaced
 * them (initBackend with `native: false` after a run with it on), and returns
 * the status that says why it is off.
 */
export function nativeOff(reason: string): AcceleratorStatus {
  enabled = false;
  loadedModule?.disableWasmAccelerator(tf);
  return { enabled: false, reason };
}
