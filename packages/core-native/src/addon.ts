/**
 * The compiled N-API addon (native/addon.c), located from this file so that it
 * loads the same way from src/ (workspace tests) and dist/ (published build).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What native/addon.c exports. Offsets and batch strides are in bytes. */
export interface NativeAddon {
  /** dlopen()s a CBLAS library and binds it; throws with dlerror()'s text. */
  open(path: string): { path: string; vendor: string; version: string };
  /** Sets the library's thread count; returns the count in force, -1 if it has no control. */
  setThreads(n: number): number;
  /** Strided batched row-major sgemm: C[i] = alpha op(A[i]) op(B[i]) + beta C[i]. */
  sgemm(
    heap: ArrayBuffer,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    aOff: number,
    lda: number,
    aStride: number,
    bOff: number,
    ldb: number,
    bStride: number,
    beta: number,
    cOff: number,
    ldc: number,
    cStride: number,
    batch: number,
  ): void;
  /** out[j] = sum over rows of x[i, j] (ones^T X on BLAS). */
  sumRows(heap: ArrayBuffer, xOff: number, rows: number, cols: number, outOff: number): void;
  /** Copies rows idx[i] of x to out; false (nothing copied) when an index is out of range. */
  gatherRows(
    heap: ArrayBuffer,
    xOff: number,
    rows: number,
    rowBytes: number,
    idxOff: number,
    n: number,
    outOff: number,
  ): boolean;
  /** out = zeros[numSegments, cols]; out[idx[i]] += x[i] (ids out of range dropped). */
  scatterAddRows(
    heap: ArrayBuffer,
    xOff: number,
    n: number,
    cols: number,
    idxOff: number,
    numSegments: number,
    outOff: number,
  ): void;
  /** Copies `rows` rows of rowBytes bytes between strided layouts (strides in bytes). */
  copyRows(
    heap: ArrayBuffer,
    srcOff: number,
    srcStride: number,
    dstOff: number,
    dstStride: number,
    rows: number,
    rowBytes: number,
  ): void;
  /** One AdamW step in place on a parameter and its moments (gOff -1: zero gradient); see native/addon.c. */
  adamw(
    heap: ArrayBuffer,
    pOff: number,
    gOff: number,
    mOff: number,
    vOff: number,
    n: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    invSqrtBc2: number,
    epsilon: number,
    stepSize: number,
    keep: number,
    gradScale: number,
  ): void;
  /** out = x permuted by perm (4-byte elements; rank <= 8). */
  transpose(heap: ArrayBuffer, xOff: number, shape: number[], perm: number[], outOff: number): void;
  /** out[0] = sum_i w_i (lse(x_i) - x_i[t_i]); returns -1, or the first row whose target is out of range. */
  softmaxXent(
    heap: ArrayBuffer,
    xOff: number,
    n: number,
    vocab: number,
    targetsOff: number,
    weightsOff: number,
    outOff: number,
  ): number;
  /** out[i, j] = (softmax(x_i)_j - [j == t_i]) w_i dy. */
  softmaxXentGrad(
    heap: ArrayBuffer,
    xOff: number,
    n: number,
    vocab: number,
    targetsOff: number,
    weightsOff: number,
    dy: number,
    outOff: number,
  ): void;
  /** y = x sigmoid(c (x + 0.044715 x^3)), c = 2 sqrt(2/pi) (tanh-approximation GELU). */
  gelu(heap: ArrayBuffer, xOff: number, n: number, outOff: number): void;
  /** dx = dy * gelu'(x). */
  geluGrad(heap: ArrayBuffer, dyOff: number, xOff: number, n: number, dxOff: number): void;
  /** Layer norm over rows of a [rows, cols] matrix; betaOff -1 for none; eps in units of 1e-12. */
  layerNorm(
    heap: ArrayBuffer,
    xOff: number,
    rows: number,
    cols: number,
    gammaOff: number,
    betaOff: number,
    epsPico: number,
    outOff: number,
  ): void;
  /** Layer norm backward: dx, dgamma and (dbetaOff != -1) dbeta. */
  layerNormGrad(
    heap: ArrayBuffer,
    dyOff: number,
    xOff: number,
    rows: number,
    cols: number,
    gammaOff: number,
    epsPico: number,
    dxOff: number,
    dgammaOff: number,
    dbetaOff: number,
  ): void;
}

/** Where `node-gyp rebuild` puts the binary, relative to the package root. */
export function defaultAddonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', 'build', 'Release', 'lab_native.node');
}

/**
 * Loads the addon binary, or explains why it cannot.
 *
 * @example
 * const r = loadAddon();
 * if (!r.ok) console.log(r.reason);
 */
export function loadAddon(
  path: string = defaultAddonPath(),
): { ok: true; addon: NativeAddon } | { ok: false; reason: string } {
  if (!existsSync(path)) {
    return {
      ok: false,
      reason: `the native addon is not built (${path} is missing; run \`pnpm --filter @lab/core-native run build:addon\`, which needs a C compiler and Node's headers)`,
    };
  }
  try {
    const require = createRequire(import.meta.url);
    return { ok: true, addon: require(path) as NativeAddon };
  } catch (err) {
    return {
      ok: false,
      reason: `the native addon ${path} failed to load: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}
