/**
 * The two ways to run the experts of an MoE layer. Both compute
 * y_m = Σ_e g_me · FF_e(x_m) and agree to float rounding (tested, values and
 * gradients).
 *
 * dense: every expert on every token. The stacked weights are laid side by
 * side so that the whole layer is two rank-2 matmuls (wasm's fast path), and
 * the gates multiply the hidden activations before the second matmul:
 * y = [g_1·a_1 | … | g_E·a_E] · [W2_1; …; W2_E]. Cost: E dense FFNs.
 *
 * sparse: the M·k (token, slot) pairs are grouped by expert into tiles of
 * `tileSize` rows, each tile belonging to one expert (each expert's group is
 * padded to whole tiles, at most E partial tiles in all, so every shape is
 * static and nothing syncs). One batched matmul per projection runs each tile
 * against its expert's gathered weights; the outputs are gathered back per
 * pair and summed with the slot gates. Cost: (M·k + E·tileSize) rows, so it
 * grows with k, not with E. Dropless.
 */
import { gelu, silu, tf } from '@lab/core';
import type { RoutingPlan } from './routing-plan.js';

export interface ExpertWeights {
  /** [E, dModel, hidden]; hidden = dFF (gelu) or 2·dFF (swiglu: gate | up). */
  w1: tf.Tensor3D;
  /** [E, hidden] or null. */
  b1: tf.Tensor2D | null;
  /** [E, dFF, dModel] */
  w2: tf.Tensor3D;
  /** [E, dModel] or null. */
  b2: tf.Tensor2D | null;
  activation: 'gelu' | 'swiglu';
}

function activate<T extends tf.Tensor>(h: T, activation: 'gelu' | 'swiglu'): T {
  if (activation === 'gelu') return gelu(h);
  const [gate, up] = tf.split(h, 2, h.rank - 1); // [..., dFF] each
  return tf.mul(silu(gate!), up!) as T;
}

/**
 * @param x [M, dModel]; gates [M, E] (zero for unselected experts).
 * @returns [M, dModel]
 */
export function denseDispatch(x: tf.Tensor2D, gates: tf.Tensor2D, w: ExpertWeights): tf.Tensor2D {
  const [m, d] = x.shape;
  const [e, , hidden] = w.w1.shape;
  const dFF = w.w2.shape[1];
  const w1Wide = tf.reshape(tf.transpose(w.w1, [1, 0, 2]), [d, e * hidden]); // [d, E·hidden]
  let h = tf.matMul(x, w1Wide as tf.Tensor2D); // [M, E·hidden]
  if (w.b1) h = tf.add(h, tf.reshape(w.b1, [e * hidden]));
  const a = activate(tf.reshape(h, [m, e, hidden]), w.activation); // [M, E, dFF]
  const weighted = tf.mul(a, tf.expandDims(gates, 2)); // [M, E, dFF]
  let y: tf.Tensor2D = tf.matMul(
    tf.reshape(weighted, [m, e * dFF]) as tf.Tensor2D,
    tf.reshape(w.w2, [e * dFF, d]) as tf.Tensor2D,
  ); // [M, d]
  if (w.b2) y = tf.add(y, tf.matMul(gates, w.b2)) as tf.Tensor2D; // Σ_e g_e·b2_e
  return y;
}

/**
 * @param x [M, dModel]; plan.sparse from routingPlan; slotGates [M, k].
 * @returns [M, dModel]
 */
export function sparseDispatch(
  x: tf.Tensor2D,
  plan: NonNullable<RoutingPlan['sparse']>,
  slotGates: tf.Tensor2D,
  w: ExpertWeights,
): tf.Tensor2D {
  const [m, d] = x.shape;
  const k = slotGates.shape[1];
  const { dest, source, tileExpert, nTiles, tileSize } = plan;
  const rows = tf.reshape(tf.gather(x, source), [nTiles, tileSize, d]) as tf.Tensor3D; // [nTiles, tb, d]
  let h = tf.matMul(rows, tf.gather(w.w1, tileExpert) as tf.Tensor3D); // [nTiles, tb, hidden]
  if (w.b1) h = tf.add(h, tf.expandDims(tf.gather(w.b1, tileExpert), 1));
  const a = activate(h, w.activation); // [nTiles, tb, dFF]
  let o = tf.matMul(a, tf.gather(w.w2, tileExpert) as tf.Tensor3D); // [nTiles, tb, d]
  if (w.b2) o = tf.add(o, tf.expandDims(tf.gather(w.b2, tileExpert), 1));
  const perPair = tf.reshape(tf.gather(tf.reshape(o, [nTiles * tileSize, d]), dest), [m, k, d]); // [M, k, d]
  return tf.sum(tf.mul(perPair, tf.expandDims(slotGates, 2)), 1) as tf.Tensor2D; // [M, d]
}
