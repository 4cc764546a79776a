/**
 * BatchMatMul for the plain wasm backend (no native accelerator). The
 * backend's own kernel runs a scalar loop (~1-2 GFLOP/s) for anything but a
 * single rank-2 product without transpose flags, which XNNPACK serves
 * (~15-20 GFLOP/s). Attention is all batched products ([batch·heads, t, t]
 * by [batch·heads, t, headDim]), so this kernel materialises any transpose
 * once with the backend's Transpose kernel and runs each batch slice as its
 * own XNNPACK product, on views registered at offsets inside the operands.
 * Rank-2, non-float32 and general broadcasting fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmInternals, type WasmBackendInternals } from './wasm-internals.js';

type BatchMatMulFn = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

const wrapped = new WeakMap<object, BatchMatMulFn>();

function matMulFn(backend: WasmBackendInternals): BatchMatMulFn {
  let fn = wrapped.get(backend);
  if (!fn) {
    fn = backend.wasm.cwrap('BatchMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ]) as unknown as BatchMatMulFn;
    wrapped.set(backend, fn);
  }
  return fn;
}

const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);

/** Registers a float32 view [rows, cols] at a byte offset with the C++ side; returns its id. */
function view(backend: WasmBackendInternals, offset: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, offset);
  return id;
}

/** Transposes the last two axes of x viewed as [batch, r, c] with the backend's kernel. */
function transposeLast(
  x: tf.TensorInfo,
  batch: number,
  r: number,
  c: number,
  backend: unknown,
): tf.TensorInfo {
  const kernel = tf.getKernel(tf.Transpose, 'wasm')!;
  return kernel.kernelFunc({
    inputs: { x: { dataId: x.dataId, shape: [batch, r, c], dtype: x.dtype } },
    backend: backend as tf.KernelBackend,
    attrs: { perm: [0, 2, 1] },
  }) as tf.TensorInfo;
}

/** Wraps the backend's kernel (the fallback). */
export function makeSlicedBatchMatMul(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { a, b } = inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!isWasmInternals(backend) || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
      const aRank = a.shape.length;
      const bRank = b.shape.length;
      const aOuter = a.shape.slice(0, -2);
      const bOuter = b.shape.slice(0, -2);
      const aBatch = aOuter.reduce((x, y) => x * y, 1);
      const bBatch = bOuter.reduce((x, y) => x * y, 1);
      const batch = Math.max(aBatch, bBatch);
      const sameOuter = aOuter.length === bOuter.length && aOuter.every((d, i) => d === bOuter[i]);
      if (batch <= 1 || !sameOuter) return original(args);
      const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
      const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
      const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
      const kb = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
      if (k !== kb || m === 0 || n === 0 || k === 0) return original(args);

      const temps: tf.TensorInfo[] = [];
      const aIn = transposeA ? transposeLast(a, batch, k, m, backend) : a;
      const bIn = transposeB ? transposeLast(b, batch, n, k, backend) : b;
      if (transposeA) temps.push(aIn);
      if (transposeB) temps.push(bIn);
      const out = backend.makeOutput([...aOuter, m, n], 'float32');
      const aOff = backend.dataIdMap.get(aIn.dataId)!.memoryOffset;
      const bOff = backend.dataIdMap.get(bIn.dataId)!.memoryOffset;
      const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset;
      const run = matMulFn(backend);
      const aShape = shapeBytes([1, m, k]);
      const bShape = shapeBytes([1, k, n]);
      for (let i = 0; i < batch; i++) {
        const aId = view(backend, aOff + 4 * i * m * k, m * k);
        const bId = view(backend, bOff + 4 * i * k * n, k * n);
        const oId = view(backend, oOff + 4 * i * m * n, m * n);
        run(aId, aShape, 3, bId, bShape, 3, false, false, oId);
        // Drops the C++ records (and XNNPACK's operator cached for bId); the memory is the operands'.
        backend.wasm.tfjs.disposeData(aId);
        backend.wasm.tfjs.disposeData(bId);
        backend.wasm.tfjs.disposeData(oId);
      }
      for (const t of temps) backend.disposeData(t.dataId);
      return out;
    },
  };
}
