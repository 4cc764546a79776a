/**
 * The feed-forward plug point of a transformer block. Core ships the dense
 * MLP; @lab/btx-moe adds mixtures of experts, which return an auxiliary
 * (load-balancing) loss that training adds to the objective.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from './module.js';

export interface FeedForwardOutput {
  /** [batch, seq, dModel] */
  output: tf.Tensor3D;
  /** A scalar to add to the training loss, already weighted. */
  auxLoss?: tf.Scalar;
}

export interface FeedForward extends Module {
  readonly kind: string;
  /** x: [batch, seq, dModel]. */
  forward(x: tf.Tensor3D): FeedForwardOutput;
}
