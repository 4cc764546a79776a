/**
 * The dense feed-forward of a transformer block, core's FeedForward. GELU:
 * proj(gelu(fc(x))). SwiGLU (Shazeer 2020): proj(silu(gate) · up), with gate
 * and up computed by one fused Linear (`fc`, [dModel, 2·dFF]: columns
 * [0, dFF) are the gate, [dFF, 2·dFF) the up projection) to save a matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { gelu, silu } from './activations.js';
import type { FeedForward, FeedForwardOutput } from './feed-forward-types.js';
import { deriveSeed } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export const MLPConfigSchema = z.strictObject({
  dModel: z.number().int().positive(),
  dFF: z.number().int().positive(),
  activation: z.enum(['gelu', 'swiglu']).default('gelu'),
  bias: z.boolean().default(true),
  initStd: z.number().nonnegative().default(0.02),
  /** Init std of the output projection (GPT-2 scales it by 1/sqrt(2·nLayers)). Default: initStd. */
  outInitStd: z.number().nonnegative().optional(),
  seed: z.number().int().default(0),
});
export type MLPConfig = z.infer<typeof MLPConfigSchema>;

/**
 * @example
 * const ff = new MLP({ dModel: 64, dFF: 256, activation: 'swiglu' });
 * const { output } = ff.forward(x); // x, output: [batch, seq, 64]
 */
export class MLP extends Module implements FeedForward {
  readonly kind = 'mlp';
  readonly config: MLPConfig;
  readonly fc: Linear;
  readonly proj: Linear;

  constructor(config: z.input<typeof MLPConfigSchema>) {
    super();
    this.config = MLPConfigSchema.parse(config);
    const { dModel, dFF, activation, bias, initStd, seed } = this.config;
    const hidden = activation === 'swiglu' ? 2 * dFF : dFF;
    this.fc = this.addModule(
      'fc',
      new Linear({ inFeatures: dModel, outFeatures: hidden, bias, initStd, seed: deriveSeed(seed, 'fc') }),
    );
    this.proj = this.addModule(
      'proj',
      new Linear({
        inFeatures: dFF,
        outFeatures: dModel,
        bias,
        initStd: this.config.outInitStd ?? initStd,
        seed: deriveSeed(seed, 'proj'),
      }),
    );
  }

  forward(x: tf.Tensor3D): FeedForwardOutput {
    const [batch, seq, dModel] = x.shape;
    const flat = tf.reshape(x, [batch * seq, dModel]); // [rows, dModel]
    const h = this.fc.forward(flat); // [rows, hidden]
    let act: tf.Tensor2D;
    if (this.config.activation === 'swiglu') {
      const [gate, up] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D]; // [rows, dFF] each
      act = tf.mul<tf.Tensor2D>(silu(gate), up);
    } else {
      act = gelu(h as tf.Tensor2D);
    }
    const out = this.proj.forward(act); // [rows, dModel]
    return { output: tf.reshape(out, [batch, seq, dModel]) };
  }
}
