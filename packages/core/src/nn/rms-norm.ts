/**
 * Root-mean-square normalisation over the last axis (Zhang & Sennrich 2019):
 * y = x / sqrt(mean(x²) + eps) * weight. No centring, no bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Module } from './module.js';

export const RMSNormConfigSchema = z.strictObject({
  dim: z.number().int().positive(),
  eps: z.number().positive().default(1e-6),
});
export type RMSNormConfig = z.infer<typeof RMSNormConfigSchema>;

/**
 * @example
 * const norm = new RMSNorm({ dim: 64 });
 * const y = norm.forward(x); // same shape as x
 */
export class RMSNorm extends Module {
  readonly config: RMSNormConfig;
  readonly weight: tf.Variable;

  constructor(config: z.input<typeof RMSNormConfigSchema>) {
    super();
    this.config = RMSNormConfigSchema.parse(config);
    this.weight = this.addParameter('weight', tf.ones([this.config.dim]));
  }

  forward<T extends tf.Tensor>(x: T): T {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.config.eps))), this.weight) as T;
  }
}
