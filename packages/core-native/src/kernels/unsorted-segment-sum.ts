/**
 * UnsortedSegmentSum (gather's gradient, so the embedding backward) as a
 * native scatter-add of rows into a zeroed output in the wasm heap. The wasm
 * backend has no such kernel; @lab/core registers a JavaScript one, which this
 * replaces for float32 data with int32 ids and keeps for everything else.
 */
import type { KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { heapOf, offsetOf, type WasmBackendLike } from '../wasm-heap.js';
import type { AcceleratedKernel, KernelContext } from './context.js';

export const unsortedSegmentSumKernel: AcceleratedKernel = {
  kernelName: 'UnsortedSegmentSum',
  create(ctx: KernelContext): KernelFunc {
    return (args) => {
      const backend = args.backend as unknown as WasmBackendLike;
      const { x, segmentIds } = args.inputs as unknown as { x: TensorInfo; segmentIds: TensorInfo };
      const { numSegments } = args.attrs as unknown as UnsortedSegmentSumAttrs;
      const idsRank = segmentIds.shape.length;
      if (
        x.dtype !== 'float32' ||
        segmentIds.dtype !== 'int32' ||
        idsRank > x.shape.length ||
        segmentIds.shape.some((d, i) => d !== x.shape[i])
      ) {
        return ctx.original(args);
      }
      const rest = x.shape.slice(idsRank);
      const cols = ctx.tf.util.sizeFromShape(rest);
      const n = ctx.tf.util.sizeFromShape(segmentIds.shape);
      const out = backend.makeOutput([numSegments, ...rest], 'float32');
      ctx.addon.scatterAddRows(
        heapOf(backend),
        offsetOf(backend, x),
        n,
        cols,
        offsetOf(backend, segmentIds),
        numSegments,
        offsetOf(backend, out),
      );
      return out;
    };
  },
};
