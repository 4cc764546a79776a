/**
 * The position-encoding plug point. An encoding declares the hooks it uses;
 * attention calls whichever are present, so a new scheme (CoPE in @lab/cope)
 * plugs in without core knowing it. Implementations extend `Module` so their
 * tables are parameters of the model that owns them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../nn/module.js';

/** What attention hands to `adjustScores`. */
export interface AttentionScoresContext {
  /** Queries after any rotation: [batch, heads, qLen, headDim]. */
  q: tf.Tensor4D;
  /** All keys attended to (cache + new) after any rotation: [batch, heads, kLen, headDim]. */
  k: tf.Tensor4D;
  /**
   * All values (cache + new): [batch, heads, kLen, headDim]. Optional for
   * callers; CoPE's value gates (@lab/cope, `gate: { kind: 'value' }`) need it.
   */
  v?: tf.Tensor4D;
  /** Scaled scores q·kᵀ/√headDim before masking: [batch, heads, qLen, kLen]. */
  scores: tf.Tensor4D;
  /** 1 where query i may attend to key j (causal and padding), else 0: [batch|1, 1, qLen, kLen]. */
  allowed: tf.Tensor4D;
  /** Absolute position of the first query: the number of cached keys. */
  queryOffset: number;
}

export interface PositionEncoding extends Module {
  /** A short name for reports and errors (`rope`, `relative`, `cope`). */
  readonly kind: string;
  /**
   * Adds positions to token embeddings before the first block (learned absolute).
   * x: [batch, seq, dModel]; positions: [batch, seq] int32 absolute positions.
   */
  embedInput?(x: tf.Tensor3D, positions: tf.Tensor2D): tf.Tensor3D;
  /**
   * Rotates queries or new keys (RoPE). x: [batch, heads, seq, headDim]; the
   * first row sits at absolute position `offset`. Keys are cached rotated.
   */
  rotate?(x: tf.Tensor4D, offset: number): tf.Tensor4D;
  /** Returns adjusted scores [batch, heads, qLen, kLen] (relative bias, CoPE). */
  adjustScores?(ctx: AttentionScoresContext): tf.Tensor4D;
}
