/**
 * Minimum, Maximum and the four order comparisons for float32 operands on the
 * plain wasm backend, on core's wasm kernels `min_max` and `compare`: the
 * backend ran Minimum at ~11 ns a value and LessEqual at ~5 (CoPE clips its
 * [batch, heads, t, t] positions every layer, and the gradient of a min or max
 * is a comparison). Operands of the same shape, or one of them a single
 * value; other broadcasts and dtypes fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, type SimdKernels, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

type Operands = { a: tf.TensorInfo; b: tf.TensorInfo; swapped: boolean; n: number; outShape: number[] };

/** a and b as kernels.c wants them (b the same size or one value), swapping when a is the single value. */
function operands(x: tf.TensorInfo, y: tf.TensorInfo): Operands | undefined {
  if (x.dtype !== 'float32' || y.dtype !== 'float32') return undefined;
  const nx = tf.util.sizeFromShape(x.shape);
  const ny = tf.util.sizeFromShape(y.shape);
  const outShape = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
  const n = tf.util.sizeFromShape(outShape);
  if (nx === n && (ny === n || ny === 1) && tf.util.arraysEqual(x.shape, outShape)) {
    return { a: x, b: y, swapped: false, n, outShape };
  }
  if (ny === n && nx === 1 && tf.util.arraysEqual(y.shape, outShape))
    return { a: y, b: x, swapped: true, n, outShape };
  return undefined;
}

/** One of these kernels: `run` gets the operands' and output's heap offsets. */
function makeBinary(
  kernelName: string,
  outDtype: 'float32' | 'bool',
  run: (
    simd: SimdKernels,
    a: number,
    b: number,
    out: number,
    n: number,
    bScalar: number,
    swapped: boolean,
  ) => void,
) {
  return (original: tf.KernelFunc): tf.KernelConfig => ({
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend } = args;
      const { a, b } = inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
      const simd = isWasmInternals(backend) ? simdKernelsFor(backend) : undefined;
      const ops = operands(a, b);
      if (!simd || !ops || !isWasmInternals(backend)) return original(args);
      const out = backend.makeOutput(ops.outShape, outDtype);
      if (ops.n > 0) {
        const bScalar = tf.util.sizeFromShape(ops.b.shape) === 1 && ops.n !== 1 ? 1 : 0;
        const [aOff, bOff] = [offsetOf(backend, ops.a), offsetOf(backend, ops.b)];
        run(simd, aOff, bOff, offsetOf(backend, out), ops.n, bScalar, ops.swapped);
      }
      return out;
    },
  });
}

/** Minimum (op 0) or Maximum (op 1): symmetric, so swapped operands need nothing. */
export function makeWasmMinMax(kernelName: string, op: 0 | 1) {
  return makeBinary(kernelName, 'float32', (simd, a, b, out, n, bScalar) =>
    simd.min_max(a, b, out, n, bScalar, op),
  );
}

/** Less (0), LessEqual (1), Greater (2), GreaterEqual (3); swapped operands mirror the order. */
export function makeWasmCompare(kernelName: string, op: 0 | 1 | 2 | 3) {
  const mirrored = [2, 3, 0, 1][op]!;
  return makeBinary(kernelName, 'bool', (simd, a, b, out, n, bScalar, swapped) =>
    simd.compare(a, b, out, n, bScalar, swapped ? mirrored : op),
  );
}
