/**
 * One AdamW update of every parameter in place in the wasm heap: for each
 * parameter one native pass updates its moments and its values, instead of
 * ~10 kernels over the flat vector plus a read-back and an upload per
 * parameter. The arithmetic is the composite's, operation for operation in
 * float32 (see adamw() in native/addon.c). @lab/core's AdamW calls it through
 * `adamwInPlace` and keeps its composite for whatever this declines.
 */
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import type { TfCore } from './kernels/context.js';
import { activeAddon } from './register.js';
import { heapOf, isWasmBackendLike, offsetOf, type WasmBackendLike } from './wasm-heap.js';

export interface AdamWStepArgs {
  params: readonly Variable[];
  /** Per-parameter gradients aligned with params (null: zero), or one flat [sum of sizes] vector. */
  grads: readonly (Tensor | null | undefined)[] | Tensor;
  /** First and second moments, flat [sum of sizes], in the order of params. */
  m: Variable;
  v: Variable;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Which parameters receive weight decay. */
  decayed: readonly boolean[];
  /** The step being taken (1 for the first update). */
  step: number;
  /** Multiplies the gradients first (default 1). */
  gradScale?: number;
}

function soleOwner(backend: WasmBackendLike, t: Tensor): boolean {
  const data = backend.dataIdMap.get(t.dataId) as { refCount?: number } | undefined;
  // An aliased buffer (a clone, a reshape someone kept) must not change under its other owners.
  return data !== undefined && data.refCount === 1;
}

/**
 * Applies the update in place and returns true, or returns false (changing
 * nothing) when the accelerator is off or the inputs are not the plain case:
 * float32 everywhere, matching shapes, buffers owned by their variables alone.
 *
 * @example
 * if (!adamwInPlace(tf, { params, grads, m, v, lr, beta1, beta2, epsilon, weightDecay, decayed, step })) composite();
 */
export function adamwInPlace(tf: TfCore, args: AdamWStepArgs): boolean {
  const addon = activeAddon();
  const backend = tf.backend();
  if (addon === undefined || tf.getBackend() !== 'wasm' || !isWasmBackendLike(backend)) return false;
  const { params, grads, m, v } = args;
  const total = params.reduce((s, p) => s + p.size, 0);
  if (m.size !== total || v.size !== total || m.dtype !== 'float32' || v.dtype !== 'float32') return false;
  if (!soleOwner(backend, m) || !soleOwner(backend, v) || m.dataId === v.dataId) return false;
  const flat = !Array.isArray(grads) ? (grads as Tensor) : undefined;
  if (flat !== undefined && (flat.size !== total || flat.dtype !== 'float32')) return false;
  const list = flat === undefined ? (grads as readonly (Tensor | null | undefined)[]) : undefined;
  if (list !== undefined && list.length !== params.length) return false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p.dtype !== 'float32' || !soleOwner(backend, p)) return false;
    const g = list?.[i];
    if (g != null && (g.dtype !== 'float32' || !tf.util.arraysEqual(g.shape, p.shape))) return false;
  }
  const { beta1, beta2, epsilon, lr, weightDecay, step } = args;
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const keep = 1 - lr * weightDecay;
  const heap = heapOf(backend); // nothing is allocated here
  const mOff = offsetOf(backend, m);
  const vOff = offsetOf(backend, v);
  const flatOff = flat ? offsetOf(backend, flat) : 0;
  let at = 0;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const n = p.size;
    const g = list?.[i];
    const gOff = flat ? flatOff + at * 4 : g != null ? offsetOf(backend, g) : -1;
    addon.adamw(
      heap,
      offsetOf(backend, p),
      gOff,
      mOff + at * 4,
      vOff + at * 4,
      n,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      1 / Math.sqrt(bc2),
      epsilon,
      lr / bc1,
      args.decayed[i] && weightDecay > 0 ? keep : 1,
      args.gradScale ?? 1,
    );
    at += n;
  }
  return true;
}
