/**
 * A dense layer y = x W + b over the last axis. The weight is stored
 * [inFeatures, outFeatures] (TensorFlow's layout, so the forward is a plain
 * rank-2 matmul, wasm's fast path); PyTorch stores [out, in], so checkpoint
 * converters transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { formatShape, LabError } from '../errors.js';
import { normalInit } from './init.js';
import { Module } from './module.js';

export const LinearConfigSchema = z.strictObject({
  inFeatures: z.number().int().positive(),
  outFeatures: z.number().int().positive(),
  bias: z.boolean().default(true),
  /** Standard deviation of the N(0, std²) weight init (GPT-2 uses 0.02). */
  initStd: z.number().nonnegative().default(0.02),
  seed: z.number().int().default(0),
});
export type LinearConfig = z.infer<typeof LinearConfigSchema>;

/**
 * @example
 * const fc = new Linear({ inFeatures: 16, outFeatures: 4, seed: 1 });
 * const y = fc.forward(tf.ones([2, 3, 16])); // [2, 3, 4]
 */
export class Linear extends Module {
  readonly config: LinearConfig;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(config: z.input<typeof LinearConfigSchema>) {
    super();
    this.config = LinearConfigSchema.parse(config);
    const { inFeatures, outFeatures, initStd, seed } = this.config;
    this.weight = this.addParameter('weight', normalInit([inFeatures, outFeatures], initStd, seed));
    this.bias = this.config.bias ? this.addParameter('bias', tf.zeros([outFeatures])) : null;
  }

  /** x: [..., inFeatures] -> [..., outFeatures]. */
  forward<T extends tf.Tensor>(x: T): T {
    const { inFeatures, outFeatures } = this.config;
    const last = x.shape[x.rank - 1];
    if (last !== inFeatures) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `Linear expects last axis ${inFeatures}, got ${formatShape(x.shape)}`,
        {
          op: 'Linear',
          expected: inFeatures,
          actual: x.shape,
        },
      );
    }
    const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inFeatures]);
    let y: tf.Tensor = tf.matMul(flat as tf.Tensor2D, this.weight as tf.Tensor2D); // [rows, out]
    if (this.bias) y = tf.add(y, this.bias);
    return (x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outFeatures])) as T;
  }
}
