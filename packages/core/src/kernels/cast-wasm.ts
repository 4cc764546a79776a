/**
 * Cast for the plain wasm backend. To the dtype a tensor already has: an
 * alias (reference count) instead of a copy, since tfjs's gradients cast
 * float32 to float32 routinely. float32 -> int32: core's vectorised wasm
 * kernel (the backend's loop took ~1.7 ns a value; CoPE casts 4M indices a
 * step); it saturates outside int32's range where tfjs's cpu backend wraps.
 * Other conversions fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals } from './wasm-internals.js';

export function makeWasmCast(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Cast,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { dtype } = attrs as unknown as tf.CastAttrs;
      if (!isWasmInternals(backend) || dtype === 'string' || dtype === 'complex64') return original(args);
      if (x.dtype === dtype) {
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype };
      }
      const simd = simdKernelsFor(backend);
      if (simd && x.dtype === 'float32' && dtype === 'int32') {
        const out = backend.makeOutput([...x.shape], 'int32');
        simd.cast_f32_i32(offsetOf(backend, x), offsetOf(backend, out), tf.util.sizeFromShape(x.shape));
        return out;
      }
      return original(args);
    },
  };
}
