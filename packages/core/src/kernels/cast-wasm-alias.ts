/**
 * Cast to the dtype a tensor already has, for the plain wasm backend, as an
 * alias (reference count) instead of a copy; tfjs's gradients cast float32
 * to float32 routinely. Real conversions fall through to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmInternals } from './wasm-internals.js';

export function makeAliasCast(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Cast,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      const { dtype } = attrs as unknown as tf.CastAttrs;
      if (!isWasmInternals(backend) || x.dtype !== dtype || dtype === 'string' || dtype === 'complex64') {
        return original(args);
      }
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype };
    },
  };
}
