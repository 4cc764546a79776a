/**
 * A lookup table of token vectors. Its gradient is a gather gradient
 * (UnsortedSegmentSum), which core registers for wasm (kernels/).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { normalInit } from './init.js';
import { Module } from './module.js';

export const EmbeddingConfigSchema = z.strictObject({
  numEmbeddings: z.number().int().positive(),
  dim: z.number().int().positive(),
  initStd: z.number().nonnegative().default(0.02),
  seed: z.number().int().default(0),
});
export type EmbeddingConfig = z.infer<typeof EmbeddingConfigSchema>;

/**
 * @example
 * const emb = new Embedding({ numEmbeddings: 256, dim: 64 });
 * const x = emb.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, 64]
 */
export class Embedding extends Module {
  readonly config: EmbeddingConfig;
  readonly weight: tf.Variable;

  constructor(config: z.input<typeof EmbeddingConfigSchema>) {
    super();
    this.config = EmbeddingConfigSchema.parse(config);
    const { numEmbeddings, dim, initStd, seed } = this.config;
    this.weight = this.addParameter('weight', normalInit([numEmbeddings, dim], initStd, seed));
  }

  /** ids: int32 of any shape -> [...ids.shape, dim]. */
  forward(ids: tf.Tensor): tf.Tensor {
    const flat = ids.rank === 1 ? ids : tf.reshape(ids, [-1]);
    const rows = tf.gather(this.weight, flat.dtype === 'int32' ? flat : tf.cast(flat, 'int32')); // [n, dim]
    return ids.rank === 1 ? rows : tf.reshape(rows, [...ids.shape, this.config.dim]);
  }
}
