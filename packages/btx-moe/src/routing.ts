/**
 * Gates from router logits, on the tape so the router learns. Which experts
 * are selected comes from the routing plan (integer, no gradient).
 */
import { tf } from '@lab/core';
import type { Routing } from './moe-config.js';

export interface Gates {
  /** [M, E]: gate of each expert, exactly zero where not selected. */
  gates: tf.Tensor2D;
  /** [M, k]: gate of each slot. */
  slotGates: tf.Tensor2D;
  /** [M, E]: softmax over all experts (the p of the balancing loss). */
  probs: tf.Tensor2D;
  /** [M, E]: 1 where selected (a constant). */
  selected: tf.Tensor2D;
}

/** Logits of non-selected experts go this far down before the softmax: exp underflows to exactly 0. */
const MASK_OFFSET = 1e9;

/**
 * @param logits r [M, E]; indices [M, k] from routingPlan.
 * @example
 * const { gates } = computeGates(logits, plan.indices, 'top2');
 */
export function computeGates(logits: tf.Tensor2D, indices: tf.Tensor2D, routing: Routing): Gates {
  const e = logits.shape[1];
  const probs = tf.softmax(logits) as tf.Tensor2D; // [M, E]
  const slotOneHot = tf.cast(tf.oneHot(indices, e), 'float32') as tf.Tensor3D; // [M, k, E]
  const selected = tf.sum(slotOneHot, 1) as tf.Tensor2D; // [M, E] of 0/1
  let gates: tf.Tensor2D;
  if (routing === 'soft') {
    gates = probs;
  } else if (routing === 'switch' || routing === 'sampleTop1') {
    // A softmax over one logit is 1 and teaches the router nothing; Switch gates with the full probability.
    gates = tf.mul(probs, selected) as tf.Tensor2D;
  } else {
    // Softmax over the selected logits only (spec §2: g = softmax(r + (S − 1)·1e9)).
    gates = tf.softmax(tf.add(logits, tf.mul(tf.sub(selected, 1), MASK_OFFSET))) as tf.Tensor2D;
  }
  const slotGates = tf.sum(tf.mul(tf.expandDims(gates, 1), slotOneHot), 2) as tf.Tensor2D; // [M, k]
  return { gates, slotGates, probs, selected };
}
