/**
 * The contract between a causal language model and the code that trains,
 * samples or scores it (train/, generate/, @lab/lm). TransformerLM implements
 * it; so can any other model.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Per-layer keys and values of the tokens seen so far. Owned by the caller; dispose when done. */
export interface KVCache {
  /** Rows (sequences) in the batch. */
  readonly batchSize: number;
  /** Tokens cached so far (including left padding). */
  readonly length: number;
  /** Frees every cached tensor. */
  dispose(): void;
}

export interface ForwardOptions {
  /** Appended to in place; the new tokens continue at position `cache.length`. */
  cache?: KVCache;
  /**
   * 1 for a real token, 0 for padding: [batch, cacheLength + seq]. Padded keys
   * are never attended to, and absolute positions count real tokens only, so a
   * left-padded row computes what it would alone.
   */
  attentionMask?: tf.Tensor2D;
}

export interface ForwardOutput {
  /** [batch, seq, vocab] */
  logits: tf.Tensor3D;
  /** Sum of the feed-forward auxiliary losses (MoE load balancing), or null. */
  auxLoss: tf.Scalar | null;
}

export interface CausalLM {
  readonly vocabSize: number;
  /** Longest sequence (cache included) the model accepts. */
  readonly maxSeqLen: number;
  /** tokens: [batch, seq] int32. */
  forward(tokens: tf.Tensor2D, options?: ForwardOptions): ForwardOutput;
  /** An empty cache for `batchSize` rows. */
  createCache(batchSize: number): KVCache;
  /** Trainable variables (what an optimizer updates). */
  parameters(): tf.Variable[];
  train(on?: boolean): unknown;
  eval(): unknown;
}
