/**
 * Identity for the plain wasm backend as an alias of its input (a reference
 * count, as Reshape does) instead of a copy. Gradients pass through Identity
 * hundreds of times a step; each copy costs a kernel's fixed price plus a
 * memcpy. Tensors are immutable in tfjs, so sharing the buffer is safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isWasmInternals } from './wasm-internals.js';

export function makeAliasIdentity(original: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend } = args;
      const { x } = inputs as unknown as { x: tf.TensorInfo };
      if (!isWasmInternals(backend) || x.dtype === 'string' || x.dtype === 'complex64') return original(args);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}
