/**
 * SplitV for the plain wasm backend as contiguous copies on the heap. The
 * backend's kernel runs one Slice per output; splitting a fused QKV
 * projection ([1024, 384] into three) took ~4 ms. Other dtypes fall through.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmInternals } from './wasm-internals.js';

export function makeCopySplitV(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.SplitV,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
      if (!isWasmInternals(backend) || (x.dtype !== 'float32' && x.dtype !== 'int32')) return original(args);
      const rank = x.shape.length;
      const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
      const dim = x.shape[ax]!;
      let sizes: number[];
      if (typeof numOrSizeSplits === 'number') {
        if (dim % numOrSizeSplits !== 0) return original(args);
        sizes = new Array(numOrSizeSplits).fill(dim / numOrSizeSplits);
      } else {
        sizes = [...numOrSizeSplits];
        const minus = sizes.indexOf(-1);
        if (minus >= 0) sizes[minus] = dim - sizes.reduce((p, q) => p + (q === -1 ? 0 : q), 0);
      }
      const outer = x.shape.slice(0, ax).reduce((p, q) => p * q, 1);
      const inner = x.shape.slice(ax + 1, rank).reduce((p, q) => p * q, 1);
      const outs = sizes.map((s) =>
        backend.makeOutput(
          x.shape.map((d, i) => (i === ax ? s : d)),
          x.dtype,
        ),
      );
      // Offsets after every allocation (an allocation may grow the heap).
      const xOff = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
      const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
      let begin = 0;
      for (let k = 0; k < sizes.length; k++) {
        const s = sizes[k]!;
        const oOff = backend.dataIdMap.get(outs[k]!.dataId)!.memoryOffset / 4;
        const chunk = s * inner;
        for (let o = 0; o < outer; o++) {
          const src = xOff + (o * dim + begin) * inner;
          heap.copyWithin(oOff + o * chunk, src, src + chunk);
        }
        begin += s;
      }
      return outs;
    },
  };
}
