/**
 * Layer normalisation over the last axis (Ba et al. 2016):
 * y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { fusedLayerNorm } from '../backend/fused.js';
import { Module } from './module.js';

export const LayerNormConfigSchema = z.strictObject({
  dim: z.number().int().positive(),
  eps: z.number().positive().default(1e-5),
  bias: z.boolean().default(true),
});
export type LayerNormConfig = z.infer<typeof LayerNormConfigSchema>;

/**
 * @example
 * const ln = new LayerNorm({ dim: 64 });
 * const y = ln.forward(x); // same shape as x
 */
export class LayerNorm extends Module {
  readonly config: LayerNormConfig;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(config: z.input<typeof LayerNormConfigSchema>) {
    super();
    this.config = LayerNormConfigSchema.parse(config);
    this.weight = this.addParameter('weight', tf.ones([this.config.dim]));
    this.bias = this.config.bias ? this.addParameter('bias', tf.zeros([this.config.dim])) : null;
  }

  forward<T extends tf.Tensor>(x: T): T {
    // One native kernel each way when @lab/core-native is on (same math).
    const fused = fusedLayerNorm(x, this.weight, this.bias, this.config.eps);
    if (fused) return fused;
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, this.config.eps)));
    const scaled = tf.mul(normed, this.weight);
    return (this.bias ? tf.add(scaled, this.bias) : scaled) as T;
  }
}
