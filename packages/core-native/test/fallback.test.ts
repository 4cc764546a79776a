/**
 * The accelerator falls back cleanly: with the package missing, the addon not
 * built, no BLAS library, something that is not a CBLAS library, or a library
 * too slow to help, the plain wasm kernels stay (or come back) and the status
 * says why. Also the switch between on and off through initBackend().
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeAccelerator } from '../../core/src/backend/native.js';
import { initBackend } from '../../core/src/index.js';
import { ACCELERATED_KERNELS, enableWasmAccelerator, FUSED_KERNELS } from '../src/index.js';
import { expectClose } from './helpers.js';

// Debian's reference BLAS (package libblas3, scripts/install-system-deps.sh):
// correct, about 3 GFLOP/s, so the speed check must refuse it.
const REFERENCE_BLAS = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';

let originalMatMul: tf.KernelFunc;

function matMulIsOriginal(): boolean {
  return tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc === originalMatMul;
}

async function matMulStillRight(): Promise<void> {
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
  const c = tf.matMul(a, b);
  expectClose(await c.data(), [4, 5, 10, 11]);
  tf.dispose([a, b, c]);
}

describe('accelerator fallback', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'wasm', native: false });
    expect(info.accelerator).toEqual({
      enabled: false,
      reason: 'turned off (native: false or LAB_NATIVE=0)',
    });
    originalMatMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  });
  afterEach(() => {
    delete process.env.LAB_BLAS_LIB;
    delete process.env.LAB_BLAS_MIN_GFLOPS;
  });

  it('reports a missing @lab/core-native package as not installed', async () => {
    const missing = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package '@lab/core-native' imported from native.ts"), {
          code: 'ERR_MODULE_NOT_FOUND',
        }),
      );
    const status = await loadNativeAccelerator({ importer: missing });
    expect(status).toEqual({ enabled: false, reason: '@lab/core-native is not installed' });
    const broken = () => Promise.reject(new Error('boom'));
    expect((await loadNativeAccelerator({ importer: broken })).reason).toBe(
      '@lab/core-native failed to load: boom',
    );
    expect(matMulIsOriginal()).toBe(true);
    await matMulStillRight();
  });

  it('reports an addon that was not built', async () => {
    const status = await loadNativeAccelerator({
      accelerator: { addonPath: '/nonexistent/lab_native.node' },
    });
    expect(status.enabled).toBe(false);
    expect(status.reason).toMatch(/native addon is not built .*nonexistent/);
    expect(matMulIsOriginal()).toBe(true);
  });

  it('reports a missing BLAS library (LAB_BLAS_LIB pointing nowhere)', async () => {
    process.env.LAB_BLAS_LIB = '/nonexistent/libopenblas.so.0';
    const status = await loadNativeAccelerator();
    expect(status.enabled).toBe(false);
    expect(status.reason).toMatch(
      /no usable CBLAS library \(LAB_BLAS_LIB=\/nonexistent\/libopenblas.so.0\).*No such file/,
    );
    expect(matMulIsOriginal()).toBe(true);
    await matMulStillRight();
  });

  it('refuses a library without CBLAS symbols', () => {
    const report = enableWasmAccelerator(tf, { library: 'libm.so.6' });
    expect(report.enabled).toBe(false);
    expect(report.reason).toMatch(/no cblas_sgemm/);
  });

  it.skipIf(!existsSync(REFERENCE_BLAS))('refuses the slow reference BLAS and says how slow', async () => {
    process.env.LAB_BLAS_LIB = REFERENCE_BLAS;
    const status = await loadNativeAccelerator();
    expect(status.enabled).toBe(false);
    expect(status.reason).toMatch(
      /too slow: [0-9.]+ GFLOP\/s on sgemm 256\^3, below the 32 GFLOP\/s minimum/,
    );
    expect(matMulIsOriginal()).toBe(true);
    // A lower bar (LAB_BLAS_MIN_GFLOPS) accepts it: it computes correct products.
    process.env.LAB_BLAS_MIN_GFLOPS = '0.1';
    const accepted = await loadNativeAccelerator();
    expect(accepted.enabled, accepted.reason).toBe(true);
    expect(accepted.library).toContain('/blas/libblas.so.3');
    await matMulStillRight();
    // The next failure puts the original kernels back.
    process.env.LAB_BLAS_LIB = '/nonexistent/libblas.so.3';
    expect((await loadNativeAccelerator()).enabled).toBe(false);
    expect(matMulIsOriginal()).toBe(true);
  });

  it('refuses a library below a forced speed threshold', () => {
    const report = enableWasmAccelerator(tf, { minGflops: 1e9 });
    expect(report.enabled).toBe(false);
    expect(report.reason).toMatch(/OpenBLAS\) is too slow/);
    expect(matMulIsOriginal()).toBe(true);
  });

  it('switches on and off through initBackend() and reports the library', async () => {
    const on = await initBackend({ prefer: 'wasm', native: true });
    expect(on.accelerator.enabled, on.accelerator.reason).toBe(true);
    expect(on.accelerator.kernels).toEqual(
      [...ACCELERATED_KERNELS, ...FUSED_KERNELS].map((k) => k.kernelName),
    );
    expect(on.accelerator.kernels).toContain('BatchMatMul');
    expect(on.accelerator.vendor).toBe('OpenBLAS');
    expect(on.accelerator.threads).toBe(1);
    expect(on.accelerator.gflops).toBeGreaterThan(8);
    expect(existsSync(on.accelerator.library!)).toBe(true);
    expect(matMulIsOriginal()).toBe(false);
    await matMulStillRight();
    const cpu = await initBackend({ prefer: 'cpu' });
    expect(cpu.accelerator.enabled).toBe(false);
    const off = await initBackend({ prefer: 'wasm', native: false });
    expect(off.accelerator.enabled).toBe(false);
    expect(matMulIsOriginal()).toBe(true);
    const saved = process.env.LAB_NATIVE;
    process.env.LAB_NATIVE = '0';
    try {
      expect((await initBackend({ prefer: 'wasm' })).accelerator.enabled).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.LAB_NATIVE;
      else process.env.LAB_NATIVE = saved;
    }
  });
});
