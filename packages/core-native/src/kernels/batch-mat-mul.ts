/**
 * BatchMatMul on BLAS: one strided batched sgemm over the wasm heap, reading
 * the operands in place and writing the output tensor directly. Transposes
 * cost nothing (BLAS takes them as flags), which is where the wasm kernel is
 * slowest. Broadcasting of one whole batch side (a batch of 1) is a zero
 * stride; anything else (mixed broadcasting, non-float32) goes to the
 * original kernel.
 */
import type { BatchMatMulAttrs, BatchMatMulInputs, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

/** Operand geometry shared by BatchMatMul and _FusedMatMul; undefined means "not covered". */
export interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  batch: number;
  aStride: number;
  bStride: number;
  outShape: number[];
}

export function planMatMul(
  ctx: KernelContext,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) return undefined;
  const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const kB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  if (k !== kB) return undefined; // the original kernel throws the proper error
  const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = ctx.tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  const size = ctx.tf.util.sizeFromShape;
  const batch = size(outer);
  const batchA = size(outerA);
  const batchB = size(outerB);
  // Each side is either the full batch (contiguous) or a single matrix reused.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  const aStride = batchA === batch && batch > 1 ? m * k * 4 : 0;
  const bStride = batchB === batch && batch > 1 ? k * n * 4 : 0;
  return { m, n, k, batch, aStride, bStride, outShape: [...outer, m, n] };
}

/** Runs the planned product into `out` (already allocated); alpha scales it, beta keeps what `out` holds. */
export function runMatMul(
  ctx: KernelContext,
  backend: WasmBackendLike,
  plan: MatMulPlan,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  out: TensorInfo,
  alpha = 1,
  beta = 0,
): void {
  const { m, n, k, batch } = plan;
  if (m === 0 || n === 0 || batch === 0) return;
  const heap = heapOf(backend); // after the output's allocation
  ctx.addon.sgemm(
    heap,
    transposeA,
    transposeB,
    m,
    n,
    k,
    alpha,
    offsetOf(backend, a),
    transposeA ? m : k,
    plan.aStride,
    offsetOf(backend, b),
    transposeB ? k : n,
    plan.bStride,
    beta,
    offsetOf(backend, out),
    n,
    m * n * 4,
    batch,
  );
}

export const batchMatMulKernel: AcceleratedKernel = {
  kernelName: 'BatchMatMul',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { a, b } = args.inputs as unknown as BatchMatMulInputs & { a: TensorInfo; b: TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
      const plan = planMatMul(ctx, a, b, transposeA, transposeB);
      if (plan === undefined) return ctx.original(args);
      const out = backend.makeOutput(plan.outShape, 'float32');
      runMatMul(ctx, backend, plan, a, b, transposeA, transposeB, out);
      return out;
    };
  },
};
