/**
 * The few internals of tfjs-backend-wasm 4.22 the kernels rely on, typed
 * structurally so this package needs no import of the backend itself.
 */
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels use. */
export interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number; shape: number[]; dtype: DataType } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  incRef(dataId: DataId): void;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: WasmBackendLike, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data == null) throw new Error('@lab/core-native: tensor data is not on the wasm backend');
  return data.memoryOffset;
}

/**
 * The heap's current ArrayBuffer. Read it only after every allocation of the
 * call: an allocation can grow the wasm memory, which replaces (detaches) the
 * previous buffer.
 */
export function heapOf(backend: WasmBackendLike): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

/** True when the object looks like tfjs-backend-wasm's backend (the internals above exist). */
export function isWasmBackendLike(b: unknown): b is WasmBackendLike {
  const x = b as Partial<WasmBackendLike> | null;
  return (
    x != null &&
    typeof x.makeOutput === 'function' &&
    typeof x.incRef === 'function' &&
    x.dataIdMap != null &&
    typeof x.dataIdMap.get === 'function' &&
    x.wasm != null &&
    x.wasm.HEAPU8 instanceof Uint8Array
  );
}
