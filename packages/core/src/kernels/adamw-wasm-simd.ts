/**
 * One AdamW step for the plain wasm backend in core's SIMD kernel: the
 * composite ran ~14 kernels over the flat moments plus a concat, a read-back
 * and two kernels per parameter. The moments are updated in place (they
 * belong to the optimizer alone); each parameter gets a new buffer, never an
 * in-place write: the backend's XNNPACK matmul caches a packed copy of its
 * right operand per tensor id, so a weight changed in place would keep
 * multiplying with its old values. The same float32 operations as the
 * composite and @lab/core-native.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FusedAdamWStep } from '../backend/fused.js';
import { plainWasmKernelsActive } from './register.js';
import { offsetOf, simdKernelsFor } from './simd/instance.js';
import { isWasmInternals, type WasmBackendInternals } from './wasm-internals.js';

function soleOwner(backend: WasmBackendInternals, t: tf.Tensor): boolean {
  const record = backend.dataIdMap.get(t.dataId) as { refCount?: number } | undefined;
  return record !== undefined && record.refCount === 1;
}

/**
 * Applies the update and returns true, or returns false (changing nothing)
 * when the backend is not plain wasm with core's kernels, or the inputs are
 * not the plain case (float32, matching shapes, moments owned by the optimizer alone).
 */
export function adamwWasmSimd(args: FusedAdamWStep): boolean {
  const backend = tf.backend();
  if (tf.getBackend() !== 'wasm' || !isWasmInternals(backend) || plainWasmKernelsActive().length === 0) {
    return false;
  }
  const simd = simdKernelsFor(backend);
  if (!simd) return false;
  const { params, grads, m, v } = args;
  const total = params.reduce((s, p) => s + p.size, 0);
  if (m.size !== total || v.size !== total || m.dtype !== 'float32' || v.dtype !== 'float32') return false;
  if (!soleOwner(backend, m) || !soleOwner(backend, v) || m.dataId === v.dataId) return false;
  const flat = grads instanceof tf.Tensor ? grads : undefined;
  if (flat && (flat.size !== total || flat.dtype !== 'float32')) return false;
  const list = flat ? undefined : (grads as readonly (tf.Tensor | null | undefined)[]);
  if (list && list.length !== params.length) return false;
  for (let i = 0; i < params.length; i++) {
    const g = list?.[i];
    if (params[i]!.dtype !== 'float32') return false;
    if (g != null && (g.dtype !== 'float32' || !tf.util.arraysEqual(g.shape, params[i]!.shape))) return false;
  }
  const { beta1, beta2, epsilon, lr, weightDecay, step } = args;
  const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** step);
  const stepSize = lr / (1 - beta1 ** step);
  let at = 0;
  params.forEach((p, i) => {
    const n = p.size;
    const g = list?.[i];
    const out = backend.makeOutput([...p.shape], 'float32');
    // Offsets after the allocation (it may move nothing, but may grow the heap).
    const gOff = flat ? offsetOf(backend, flat) + 4 * at : g != null ? offsetOf(backend, g) : 0;
    simd.adamw(
      offsetOf(backend, p),
      gOff,
      flat || g != null ? 1 : 0,
      offsetOf(backend, m) + 4 * at,
      offsetOf(backend, v) + 4 * at,
      offsetOf(backend, out),
      n,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      invSqrtBc2,
      epsilon,
      stepSize,
      args.decayed[i] && weightDecay > 0 ? 1 - lr * weightDecay : 1,
      args.gradScale ?? 1,
    );
    const next = tf.engine().makeTensorFromTensorInfo(out);
    p.assign(next);
    next.dispose();
    at += n;
  });
  return true;
}
