/**
 * The integer side of routing: which experts each token uses and, for the
 * sparse path, where each (token, slot) pair goes. Computed from the router
 * logits inside a custom-gradient op that the tape does not connect to the
 * logits, because TopK (and LessEqual, and the integer index inputs of Gather
 * and UnsortedSegmentSum) have no float gradient in tfjs. The gates are
 * computed outside, on the tape (routing.ts).
 */
import { tf } from '@lab/core';
import type { Routing } from './moe-config.js';

export interface PlanOptions {
  routing: Routing;
  /** Slots per token. */
  k: number;
  training: boolean;
  /** Seed of this call's Gumbel noise (sampleTop1 in training). */
  sampleSeed: number;
  /** Rows per tile; null for no sparse layout. */
  tileSize: number | null;
}

export interface RoutingPlan {
  /** [M, k] int32: expert of each slot. */
  indices: tf.Tensor2D;
  /** Sparse layout, present when tileSize was given. */
  sparse: {
    /** [M·k] int32: padded row of each pair (pair = token·k + slot). */
    dest: tf.Tensor1D;
    /** [P] int32: token read into each padded row (token 0 for empty rows, never read back). */
    source: tf.Tensor1D;
    /** [nTiles] int32: the expert of each tile. */
    tileExpert: tf.Tensor1D;
    nTiles: number;
    tileSize: number;
  } | null;
}

/** Static sizes of the sparse layout for M tokens. */
export function sparseLayoutSize(
  m: number,
  k: number,
  e: number,
  tileSize: number,
): { nTiles: number; rows: number } {
  // Σ_e ceil(c_e / tb) ≤ floor(M·k / tb) + E, so this many tiles always suffice.
  const nTiles = Math.ceil((m * k) / tileSize) + e;
  return { nTiles, rows: nTiles * tileSize };
}

function selectIndices(logits: tf.Tensor2D, o: PlanOptions): tf.Tensor2D {
  const [m, e] = logits.shape;
  if (o.routing === 'soft')
    return tf.tile(tf.reshape(tf.range(0, e, 1, 'int32'), [1, e]), [m, 1]) as tf.Tensor2D;
  if (o.routing === 'sampleTop1' && o.training) {
    // Gumbel-max: argmax(r + G) samples from softmax(r). A seeded
    // randomUniform generates in JavaScript: the same sample on every backend.
    const u = tf.randomUniform([m, e], 1e-20, 1, 'float32', o.sampleSeed);
    const gumbel = tf.neg(tf.log(tf.neg(tf.log(u))));
    return tf.topk(tf.add(logits, gumbel), 1).indices as tf.Tensor2D; // [M, 1]
  }
  // topk, not a threshold on the k-th value: exactly k experts even when logits tie.
  return tf.topk(logits, o.k).indices as tf.Tensor2D; // [M, k]
}

function sparseLayout(indices: tf.Tensor2D, e: number, tb: number): tf.Tensor1D[] {
  const [m, k] = indices.shape;
  const s = m * k;
  const { nTiles, rows } = sparseLayoutSize(m, k, e, tb);
  const expertOf = tf.reshape(indices, [s]) as tf.Tensor1D; // [S]
  const oneHot = tf.cast(tf.oneHot(expertOf, e), 'float32'); // [S, E]
  const counts = tf.sum(oneHot, 0); // [E]
  const rank = tf.sum(tf.mul(tf.cumsum(oneHot, 0, true), oneHot), 1); // [S] rank within its expert, in pair order
  const padded = tf.mul(tf.ceil(tf.div(counts, tb)), tb); // [E] whole tiles per expert
  const start = tf.cumsum(padded, 0, true); // [E]
  const dest = tf.cast(tf.add(tf.gather(start, expertOf), rank), 'int32') as tf.Tensor1D; // [S]
  // Destinations are unique, so a scatter-add of token+1 writes each row once (0 = empty).
  const token = tf.floorDiv(tf.range(0, s, 1, 'int32'), tf.scalar(k, 'int32')); // [S]
  const filled = tf.unsortedSegmentSum(tf.add(tf.cast(token, 'float32'), 1), dest, rows); // [P]
  const source = tf.cast(tf.relu(tf.sub(filled, 1)), 'int32') as tf.Tensor1D; // [P]
  const tileStart = tf.mul(tf.range(0, nTiles, 1, 'float32'), tb); // [nTiles]
  const end = tf.add(start, padded); // [E]
  const done = tf.cast(tf.lessEqual(tf.expandDims(end, 0), tf.expandDims(tileStart, 1)), 'float32'); // [nTiles, E]
  const tileExpert = tf.cast(tf.minimum(tf.sum(done, 1), e - 1), 'int32') as tf.Tensor1D; // [nTiles]
  return [dest, source, tileExpert];
}

/**
 * @param logits [M, E] router logits (on the tape; the plan carries no gradient).
 * @example
 * const plan = routingPlan(logits, { routing: 'top2', k: 2, training: true, sampleSeed: 0, tileSize: null });
 */
export function routingPlan(logits: tf.Tensor2D, o: PlanOptions): RoutingPlan {
  const [m, e] = logits.shape;
  const k = o.routing === 'soft' ? e : o.k;
  const sizes = [m * k];
  if (o.tileSize !== null) {
    const { nTiles, rows } = sparseLayoutSize(m, k, e, o.tileSize);
    sizes.push(m * k, rows, nTiles);
  }
  // The op's only input is a fresh constant: the tape then has no path from
  // the logits to these integers (its forward runs untaped, reading the
  // logits by closure), so no gradient is ever asked of TopK, LessEqual, or of
  // the integer index inputs of Gather and UnsortedSegmentSum.
  const anchor = tf.scalar(0);
  const op = tf.customGrad(((a: tf.Tensor) => {
    const packed = tf.tidy(() => {
      const indices = selectIndices(logits, o);
      const parts: tf.Tensor1D[] = [tf.reshape(indices, [m * k]) as tf.Tensor1D];
      if (o.tileSize !== null) parts.push(...sparseLayout(indices, e, o.tileSize));
      return tf.concat(parts); // [Σ sizes] int32
    });
    return { value: packed, gradFunc: () => tf.zerosLike(a) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const packed = op(anchor) as tf.Tensor1D;
  // Slices, not split: SplitV's gradient fails when some outputs have no gradient.
  const parts: tf.Tensor1D[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(tf.slice(packed, [at], [size]));
    at += size;
  }
  const indices = tf.reshape(parts[0]!, [m, k]) as tf.Tensor2D;
  if (o.tileSize === null) return { indices, sparse: null };
  const nTiles = sizes[3]!;
  return {
    indices,
    sparse: { dest: parts[1]!, source: parts[2]!, tileExpert: parts[3]!, nTiles, tileSize: o.tileSize },
  };
}
