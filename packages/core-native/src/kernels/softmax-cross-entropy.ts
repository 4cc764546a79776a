/**
 * Softmax cross-entropy as one native kernel each way: the weighted sum of
 * -log softmax(logits)[target] over rows (weights carry the mask and the 1/N),
 * and its gradient (softmax - onehot) * w * dy, each one pass over the logits
 * instead of ~8 kernels forward and ~6 backward. @lab/core's
 * maskedCrossEntropy() calls it when registered.
 */
import type { GradConfig, KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { FusedKernel, KernelContextBase } from './context.js';

/** Kernel names (a contract with @lab/core's backend/fused.ts). Inputs: logits [n, vocab], targets int32 [n], weights [n]. */
export const SOFTMAX_CROSS_ENTROPY = 'LabSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'LabSoftmaxCrossEntropyGrad';

interface Inputs {
  logits: TensorInfo;
  targets: TensorInfo;
  weights: TensorInfo;
}

function check({ logits, targets, weights }: Inputs): [number, number] {
  const [n, vocab] = logits.shape as [number, number];
  if (
    logits.dtype !== 'float32' ||
    logits.shape.length !== 2 ||
    targets.dtype !== 'int32' ||
    weights.dtype !== 'float32' ||
    targets.shape.length !== 1 ||
    targets.shape[0] !== n ||
    weights.shape.length !== 1 ||
    weights.shape[0] !== n ||
    vocab === 0
  ) {
    throw new Error(
      `${SOFTMAX_CROSS_ENTROPY}: logits float32 [n, vocab], targets int32 [n], weights float32 [n] expected`,
    );
  }
  return [n, vocab];
}

export const softmaxCrossEntropyKernel: FusedKernel = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const inputs = args.inputs as unknown as Inputs;
      const [n, vocab] = check(inputs);
      const out = backend.makeOutput([], 'float32');
      const bad = ctx.addon.softmaxXent(
        heapOf(backend),
        offsetOf(backend, inputs.logits),
        n,
        vocab,
        offsetOf(backend, inputs.targets),
        offsetOf(backend, inputs.weights),
        offsetOf(backend, out),
      );
      if (bad >= 0) {
        backend.disposeData(out.dataId);
        throw new Error(`${SOFTMAX_CROSS_ENTROPY}: the target of row ${bad} is not in [0, ${vocab - 1}]`);
      }
      return out;
    };
  },
  gradient(ctx: KernelContextBase): GradConfig {
    return {
      kernelName: SOFTMAX_CROSS_ENTROPY,
      inputsToSave: ['logits', 'targets', 'weights'],
      gradFunc: (dy, saved) => {
        const [logits, targets, weights] = saved as Tensor[];
        return {
          logits: () =>
            ctx.tf
              .engine()
              .runKernel(
                SOFTMAX_CROSS_ENTROPY_GRAD,
                { dy: dy as Tensor, logits: logits!, targets: targets!, weights: weights! },
                {},
              ) as Tensor,
          // Targets are indices and weights a mask: no gradient flows to them.
          targets: () => ctx.tf.zerosLike(targets!),
          weights: () => ctx.tf.zerosLike(weights!),
        };
      },
    };
  },
};

export const softmaxCrossEntropyGradKernel: FusedKernel = {
  kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
  create(ctx: KernelContextBase): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { dy, ...rest } = args.inputs as unknown as Inputs & { dy: TensorInfo };
      const [n, vocab] = check(rest);
      const out = backend.makeOutput([n, vocab], 'float32');
      const heap = heapOf(backend);
      const dyValue = new Float32Array(heap, offsetOf(backend, dy), 1)[0]!;
      ctx.addon.softmaxXentGrad(
        heap,
        offsetOf(backend, rest.logits),
        n,
        vocab,
        offsetOf(backend, rest.targets),
        offsetOf(backend, rest.weights),
        dyValue,
        offsetOf(backend, out),
      );
      return out;
    };
  },
};
