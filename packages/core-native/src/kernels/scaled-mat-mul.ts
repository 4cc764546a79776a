/**
 * A batched matmul with a scale folded into sgemm's alpha: attention's
 * scores alpha * q k^T cost one kernel instead of a Multiply over q plus the
 * matmul (and the same again in the backward pass, whose products also carry
 * alpha). Inputs are float32 of the same rank with equal batch dimensions;
 * @lab/core's scaledMatMul() only dispatches such operands here.
 */
import type { GradConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm-heap.js';
import { planMatMul, runMatMul } from './batch-mat-mul.js';
import type { FusedKernel, KernelContextBase } from './context.js';

/** Kernel name (a contract with @lab/core's backend/fused.ts). Attrs: { transposeA, transposeB, alpha }. */
export const SCALED_MAT_MUL = 'LabScaledMatMul';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
  alpha: number;
}

export const scaledMatMulKernel: FusedKernel = {
  kernelName: SCALED_MAT_MUL,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { a, b } = args.inputs as unknown as { a: TensorInfo; b: TensorInfo };
      const { transposeA, transposeB, alpha } = args.attrs as unknown as Attrs;
      const plan = planMatMul({ ...ctx, original: () => undefined as never }, a, b, transposeA, transposeB);
      if (
        plan === undefined ||
        a.shape.length !== b.shape.length ||
        a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])
      ) {
        throw new Error(
          `${SCALED_MAT_MUL}: float32 operands of equal batch shape expected, got ${a.shape} and ${b.shape}`,
        );
      }
      const out = backend.makeOutput(plan.outShape, 'float32');
      runMatMul(
        { ...ctx, original: () => undefined as never },
        backend,
        plan,
        a,
        b,
        transposeA,
        transposeB,
        out,
        alpha,
      );
      return out;
    };
  },
  gradient(ctx: KernelContextBase): GradConfig {
    return {
      kernelName: SCALED_MAT_MUL,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved as Tensor[];
        const { transposeA, transposeB, alpha } = attrs as unknown as Attrs;
        const d = dy as Tensor;
        const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean) =>
          ctx.tf
            .engine()
            .runKernel(SCALED_MAT_MUL, { a: x, b: y }, { transposeA: tx, transposeB: ty, alpha }) as Tensor;
        // d(alpha op(A) op(B)): the products of tfjs's BatchMatMul gradient, each scaled by alpha.
        if (!transposeA && !transposeB)
          return { a: () => mm(d, b!, false, true), b: () => mm(a!, d, true, false) };
        if (!transposeA && transposeB)
          return { a: () => mm(d, b!, false, false), b: () => mm(d, a!, true, false) };
        if (transposeA && !transposeB)
          return { a: () => mm(b!, d, false, true), b: () => mm(a!, d, false, false) };
        return { a: () => mm(b!, d, true, true), b: () => mm(d, a!, true, true) };
      },
    };
  },
};
