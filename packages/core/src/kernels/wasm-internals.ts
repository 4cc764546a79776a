/**
 * The parts of tfjs-backend-wasm 4.22's backend object that core's wasm
 * kernels use: tensor records (id, heap offset), output allocation, and the
 * emscripten module (heap, cwrap, the C++ tensor registry). Structural, so
 * core keeps no build-time dependency on the backend's internals.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface WasmTensorRecord {
  id: number;
  memoryOffset: number;
}

export interface WasmBackendInternals {
  dataIdMap: { get(dataId: tf.DataId): WasmTensorRecord | undefined };
  dataIdNextNumber: number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

export function isWasmInternals(backend: unknown): backend is WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | null;
  return (
    b != null &&
    typeof b.makeOutput === 'function' &&
    typeof b.typedArrayFromHeap === 'function' &&
    b.dataIdMap != null &&
    typeof b.dataIdNextNumber === 'number' &&
    typeof b.wasm?.cwrap === 'function' &&
    typeof b.wasm?.tfjs?.registerTensor === 'function'
  );
}
