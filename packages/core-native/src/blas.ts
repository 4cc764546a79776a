/**
 * Finds a CBLAS library at run time, checks that it computes correctly and
 * fast enough, and pins its thread count. Nothing here runs at import time.
 *
 * Why these checks: an old OpenBLAS on a processor it misdetects can return
 * wrong products, and a slow library (Debian's reference libblas3 does about
 * 3 GFLOP/s here) would be slower than the matmul @lab/core runs on plain wasm
 * (its SIMD kernel, 33-42 GFLOP/s on the model shapes). OpenBLAS does ~100.
 */
import type { NativeAddon } from './addon.js';

/** Library names tried in order when LAB_BLAS_LIB is unset: OpenBLAS, MKL, BLIS, then any CBLAS. */
export const BLAS_CANDIDATES: readonly string[] = [
  'libopenblas.so.0',
  'libopenblas.so',
  'libopenblasp.so.0',
  'libmkl_rt.so.2',
  'libmkl_rt.so',
  'libblis.so.4',
  'libblis.so.3',
  'libblis.so',
  'libcblas.so.3',
  'libblas.so.3',
];

/**
 * Below this single-call sgemm throughput (GFLOP/s on 256^3, best of five) a
 * library is refused: a little under core's plain-wasm matmul, since the
 * accelerator's fused kernels still pay off with a BLAS about as fast.
 */
export const DEFAULT_MIN_GFLOPS = 32;

export interface BlasOptions {
  /** A library path or soname; only this one is tried. Default: LAB_BLAS_LIB, else BLAS_CANDIDATES. */
  library?: string;
  /** BLAS threads. Default: LAB_BLAS_THREADS, else 1 (a second thread spins on the core JavaScript needs). */
  threads?: number;
  /** Refuse a library slower than this (GFLOP/s, sgemm 256^3). Default: LAB_BLAS_MIN_GFLOPS, else 32. */
  minGflops?: number;
}

export interface BlasInfo {
  /** The file the loader mapped. */
  path: string;
  /** OpenBLAS, MKL, BLIS or unknown. */
  vendor: string;
  /** The library's own version/configuration string, when it has one. */
  version: string;
  /** Threads in force (-1 when the library has no thread control). */
  threads: number;
  /** Measured sgemm throughput on 256^3 after warm-up, GFLOP/s. */
  gflops: number;
}

export type BlasResult = { ok: true; info: BlasInfo } | { ok: false; reason: string };

function envNumber(name: string): number | undefined {
  const raw = typeof process !== 'undefined' ? process.env[name] : undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw);
  return Number.isFinite(v) ? v : undefined;
}

/** Deterministic values in [-1, 1) (a small LCG), so the probe never depends on Math.random. */
function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
}

/** Checks every transpose case of a small product against a float64 loop; returns an error text or undefined. */
function checkProducts(addon: NativeAddon): string | undefined {
  const m = 37;
  const n = 29;
  const k = 45;
  const buf = new ArrayBuffer((m * k + k * n + m * n) * 4);
  const a = new Float32Array(buf, 0, m * k);
  const b = new Float32Array(buf, m * k * 4, k * n);
  const c = new Float32Array(buf, (m * k + k * n) * 4, m * n);
  fill(a, 1);
  fill(b, 2);
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      addon.sgemm(
        buf,
        ta,
        tb,
        m,
        n,
        k,
        1,
        0,
        ta ? m : k,
        0,
        m * k * 4,
        tb ? k : n,
        0,
        0,
        (m * k + k * n) * 4,
        n,
        0,
        1,
      );
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
          if (Math.abs(c[i * n + j]! - s) > 1e-4 * (1 + Math.abs(s))) {
            return `sgemm(transA=${ta}, transB=${tb}) gave ${c[i * n + j]} instead of ${s.toFixed(6)} at [${i}, ${j}]`;
          }
        }
      }
    }
  }
  return undefined;
}

/** Warms the library up, then returns the best of five 256^3 sgemm timings in GFLOP/s. */
function measureGflops(addon: NativeAddon): number {
  // OpenBLAS 0.3.21 runs small sgemms at half speed in a fresh process until
  // one with N >= ~384 has run; one 512^3 product (about 2 ms) settles it.
  const big = 512;
  const buf = new ArrayBuffer(3 * big * big * 4);
  fill(new Float32Array(buf, 0, 2 * big * big), 3);
  addon.sgemm(
    buf,
    false,
    false,
    big,
    big,
    big,
    1,
    0,
    big,
    0,
    big * big * 4,
    big,
    0,
    0,
    2 * big * big * 4,
    big,
    0,
    1,
  );
  const n = 256;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    addon.sgemm(buf, false, true, n, n, n, 1, 0, n, 0, n * n * 4, n, 0, 0, 2 * n * n * 4, n, 0, 1);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * n * n * n) / (Math.max(best, 1e-3) * 1e6);
}

/**
 * Opens the first working CBLAS library (or the one named), pins its threads,
 * checks its products and measures it; refuses it when slower than minGflops.
 *
 * @example
 * const r = openBlas(addon, { minGflops: 32 });
 * console.log(r.ok ? `${r.info.vendor} ${r.info.gflops} GFLOP/s` : r.reason);
 */
export function openBlas(addon: NativeAddon, options: BlasOptions = {}): BlasResult {
  const env = typeof process !== 'undefined' ? process.env : {};
  const named = options.library ?? (env.LAB_BLAS_LIB?.trim() || undefined);
  const threads = options.threads ?? envNumber('LAB_BLAS_THREADS') ?? 1;
  const minGflops = options.minGflops ?? envNumber('LAB_BLAS_MIN_GFLOPS') ?? DEFAULT_MIN_GFLOPS;
  const candidates = named ? [named] : BLAS_CANDIDATES;
  const failures: string[] = [];
  for (const name of candidates) {
    let opened: { path: string; vendor: string; version: string };
    try {
      opened = addon.open(name);
    } catch (err) {
      // A missing soname is the common case; list it briefly.
      failures.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    const inForce = addon.setThreads(Math.max(1, Math.floor(threads)));
    const wrong = checkProducts(addon);
    if (wrong) {
      failures.push(`${opened.path} (${opened.vendor}) computes wrong products: ${wrong}`);
      continue;
    }
    const gflops = measureGflops(addon);
    if (gflops < minGflops) {
      failures.push(
        `${opened.path} (${opened.vendor}) is too slow: ${gflops.toFixed(1)} GFLOP/s on sgemm 256^3, below the ${minGflops} GFLOP/s minimum (LAB_BLAS_MIN_GFLOPS)`,
      );
      continue;
    }
    return { ok: true, info: { ...opened, threads: inForce, gflops } };
  }
  const hint = named
    ? ` (LAB_BLAS_LIB=${named})`
    : '; install a BLAS runtime (Debian: apt-get install libopenblas0-pthread) or name one with LAB_BLAS_LIB';
  return { ok: false, reason: `no usable CBLAS library${hint}: ${failures.join('; ')}` };
}
