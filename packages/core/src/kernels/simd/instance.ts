/**
 * core's WebAssembly SIMD kernels (packages/core/wasm/kernels.c), instantiated
 * against the TensorFlow.js wasm backend's own memory, so they read and write
 * tensors where they lie in its heap. Every pointer argument is a byte offset
 * into that heap. Loaded by initBackend() (compiling is asynchronous); kernels
 * then find the instance synchronously with simdKernelsFor(backend).
 */
import { isWasmInternals, type WasmBackendInternals } from '../wasm-internals.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';

type Ptr = number;

/** The exports of kernels.c (see its comments for the contracts). */
export interface SimdKernels {
  gelu(x: Ptr, y: Ptr, n: number): void;
  gelu_grad(dy: Ptr, x: Ptr, dx: Ptr, n: number): void;
  layer_norm(
    x: Ptr,
    gamma: Ptr,
    beta: Ptr,
    hasBeta: number,
    y: Ptr,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  layer_norm_grad(
    dy: Ptr,
    x: Ptr,
    gamma: Ptr,
    dx: Ptr,
    dgamma: Ptr,
    dbeta: Ptr,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  transpose(x: Ptr, out: Ptr, batch: number, r: number, c: number): void;
  sum_leading(x: Ptr, out: Ptr, outer: number, inner: number): void;
  gather_rows(x: Ptr, ids: Ptr, out: Ptr, n: number, rows: number, width: number): number;
  segment_sum(x: Ptr, ids: Ptr, out: Ptr, n: number, inner: number, segments: number): void;
  cumsum_last(x: Ptr, out: Ptr, outer: number, len: number, exclusive: number, reverse: number): void;
  min_max(a: Ptr, b: Ptr, out: Ptr, n: number, bScalar: number, op: number): void;
  compare(a: Ptr, b: Ptr, out: Ptr, n: number, bScalar: number, op: number): void;
  cast_f32_i32(x: Ptr, out: Ptr, n: number): void;
  bmm(a: Ptr, b: Ptr, c: Ptr, batch: number, m: number, k: number, n: number, ta: number, scratch: Ptr): void;
  adamw(
    p: Ptr,
    g: Ptr,
    hasG: number,
    m: Ptr,
    v: Ptr,
    out: Ptr,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    invSqrtBc2: number,
    eps: number,
    step: number,
    keep: number,
    gscale: number,
  ): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();
let compiled: Promise<WebAssembly.Module> | undefined;

/** The backend's WebAssembly.Memory (Emscripten keeps the instance's exports on `asm`). */
function memoryOf(backend: WasmBackendInternals): WebAssembly.Memory | undefined {
  const memory = (backend.wasm as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

function decode(base64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(base64, 'base64'));
  const text = atob(base64);
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/**
 * Instantiates the kernels for this backend's memory (once per memory).
 * Returns undefined, and the callers keep the backend's own kernels, when the
 * memory is not reachable or the engine lacks WebAssembly SIMD.
 */
export async function loadSimdKernels(backend: WasmBackendInternals): Promise<SimdKernels | undefined> {
  const memory = memoryOf(backend);
  if (!memory) return undefined;
  const known = instances.get(memory);
  if (known) return known;
  try {
    compiled ??= WebAssembly.compile(decode(KERNELS_WASM_BASE64) as BufferSource);
    const instance = await WebAssembly.instantiate(await compiled, { env: { memory } });
    const kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
    return kernels;
  } catch {
    compiled = undefined;
    return undefined;
  }
}

/** The kernels instantiated for this backend's memory, if loadSimdKernels() succeeded for it. */
export function simdKernelsFor(backend: WasmBackendInternals): SimdKernels | undefined {
  const memory = memoryOf(backend);
  return memory ? instances.get(memory) : undefined;
}

/**
 * The backend and its kernels, for a kernel registered only once they loaded
 * (register.ts); throws, naming the kernel, otherwise.
 */
export function requireSimd(
  backend: unknown,
  kernelName: string,
): { b: WasmBackendInternals; simd: SimdKernels } {
  const simd = isWasmInternals(backend) ? simdKernelsFor(backend) : undefined;
  if (!simd) throw new Error(`${kernelName}: core's wasm SIMD kernels are not loaded for this backend`);
  return { b: backend as WasmBackendInternals, simd };
}

/** Byte offset of a tensor's data in the heap. */
export function offsetOf(backend: WasmBackendInternals, t: { dataId: object }): Ptr {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}
