/**
 * Transpose of the last two axes ([r, c] or [batch, r, c] with perm [0, 2, 1])
 * for the plain wasm backend, as a cache-blocked JavaScript loop on the heap.
 * The backend's kernel took ~4 ms for a [1024, 512] matrix (the weight
 * gradients of every Linear transpose their input). Also [a, b, c, d] ->
 * [a, c, b, d] (attention heads) as row copies. No-op permutations alias the
 * input; other permutations fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmInternals } from './wasm-internals.js';

/** Tile: 128 source rows by 16 columns (16 output rows 4r bytes apart stay in L1's ways; 64x64 was 1.7x slower on [1024, 512]). */
const TILE_ROWS = 128;
const TILE_COLS = 16;

/**
 * o[base + j·r + i] = x[base + i·c + j] over one [r, c] matrix, in tiles, eight source rows per inner loop (eight neighbouring writes: 3-5x
 * faster than one row at a time). Always called with Int32Array views (a bit
 * copy, also exact for float32) so the loads and stores stay monomorphic:
 * mixing Float32Array and Int32Array calls made V8's code 2x slower.
 */
function transposeBlock(x: Int32Array, o: Int32Array, base: number, r: number, c: number): void {
  for (let i0 = 0; i0 < r; i0 += TILE_ROWS) {
    const iEnd = Math.min(i0 + TILE_ROWS, r);
    for (let j0 = 0; j0 < c; j0 += TILE_COLS) {
      const jEnd = Math.min(j0 + TILE_COLS, c);
      let i = i0;
      for (; i + 7 < iEnd; i += 8) {
        const row = base + i * c;
        for (let j = j0; j < jEnd; j++) {
          const p = row + j;
          const q = base + j * r + i;
          o[q] = x[p]!;
          o[q + 1] = x[p + c]!;
          o[q + 2] = x[p + 2 * c]!;
          o[q + 3] = x[p + 3 * c]!;
          o[q + 4] = x[p + 4 * c]!;
          o[q + 5] = x[p + 5 * c]!;
          o[q + 6] = x[p + 6 * c]!;
          o[q + 7] = x[p + 7 * c]!;
        }
      }
      for (; i < iEnd; i++) {
        const row = base + i * c;
        for (let j = j0; j < jEnd; j++) o[base + j * r + i] = x[row + j]!;
      }
    }
  }
}

export function makeBlockedTranspose(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Transpose,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { perm } = attrs as unknown as tf.TransposeAttrs;
      if (!isWasmInternals(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return original(args);
      const rank = x.shape.length;
      const outShape = perm.map((p) => x.shape[p]!);
      if (perm.every((p, i) => p === i)) {
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: outShape, dtype: x.dtype };
      }
      const swapsLastTwo =
        rank >= 2 &&
        perm[rank - 1] === rank - 2 &&
        perm[rank - 2] === rank - 1 &&
        perm.slice(0, -2).every((p, i) => p === i);
      if (!swapsLastTwo) {
        // [a, b, c, d] -> [a, c, b, d] (attention's head split/merge): rows of d stay contiguous.
        const swapsMiddle = rank === 4 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1 && perm[3] === 3;
        if (!swapsMiddle) return original(args);
        const [a, b, c, d] = x.shape as [number, number, number, number];
        const out = backend.makeOutput(outShape, x.dtype);
        const xOff = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
        const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset / 4;
        const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
        for (let i = 0; i < a; i++) {
          for (let j = 0; j < b; j++) {
            for (let k = 0; k < c; k++) {
              const src = xOff + ((i * b + j) * c + k) * d;
              heap.copyWithin(oOff + ((i * c + k) * b + j) * d, src, src + d);
            }
          }
        }
        return out;
      }
      const r = x.shape[rank - 2]!;
      const c = x.shape[rank - 1]!;
      const batch = x.shape.slice(0, -2).reduce((p, q) => p * q, 1);
      const out = backend.makeOutput(outShape, x.dtype);
      const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
      const xOff = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
      const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset / 4;
      const size = r * c;
      for (let b = 0; b < batch; b++) {
        transposeBlock(
          heap.subarray(xOff + b * size, xOff + (b + 1) * size),
          heap.subarray(oOff + b * size, oOff + (b + 1) * size),
          0,
          r,
          c,
        );
      }
      return out;
    },
  };
}
