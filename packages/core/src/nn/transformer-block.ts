/**
 * One transformer layer: attention then a feed-forward, each in a residual
 * branch. Pre-norm (GPT-2): x + attn(norm(x)), then x + ff(norm(x)).
 * Post-norm (Vaswani et al.): norm(x + attn(x)), then norm(x + ff(x)).
 * The feed-forward is a plug point (MLP here, MoE in @lab/btx-moe); its
 * auxiliary loss is passed up to the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { PositionEncoding } from '../position/types.js';
import { Attention, type AttentionForwardOptions } from './attention.js';
import { Dropout } from './dropout.js';
import type { FeedForward } from './feed-forward-types.js';
import { deriveSeed } from './init.js';
import { LayerNorm } from './layer-norm.js';
import { Module } from './module.js';
import { RMSNorm } from './rms-norm.js';

export const TransformerBlockConfigSchema = z.strictObject({
  dModel: z.number().int().positive(),
  nHeads: z.number().int().positive(),
  norm: z.enum(['layer', 'rms']).default('layer'),
  normPlacement: z.enum(['pre', 'post']).default('pre'),
  bias: z.boolean().default(true),
  /** Dropout on attention probabilities and on both residual branches. */
  dropout: z.number().min(0).lt(1).default(0),
  initStd: z.number().nonnegative().default(0.02),
  /** Init std of the attention output projection. Default: initStd. */
  outInitStd: z.number().nonnegative().optional(),
  seed: z.number().int().default(0),
});
export type TransformerBlockConfig = z.infer<typeof TransformerBlockConfigSchema>;

export interface TransformerBlockOptions {
  feedForward: FeedForward;
  position?: PositionEncoding | null;
  /** See AttentionOptions.ownsPosition. */
  ownsPosition?: boolean;
}

export interface TransformerBlockOutput {
  output: tf.Tensor3D;
  auxLoss: tf.Scalar | null;
}

type Norm = LayerNorm | RMSNorm;

function makeNorm(kind: 'layer' | 'rms', dim: number, bias: boolean): Norm {
  return kind === 'rms' ? new RMSNorm({ dim }) : new LayerNorm({ dim, bias });
}

/**
 * @example
 * const block = new TransformerBlock({ dModel: 64, nHeads: 4 }, { feedForward: new MLP({ dModel: 64, dFF: 256 }) });
 * const { output, auxLoss } = block.forward(x);
 */
export class TransformerBlock extends Module {
  readonly config: TransformerBlockConfig;
  readonly norm1: Norm;
  readonly attn: Attention;
  readonly norm2: Norm;
  readonly ff: FeedForward;
  private readonly attnDropout: Dropout;
  private readonly ffDropout: Dropout;

  constructor(config: z.input<typeof TransformerBlockConfigSchema>, options: TransformerBlockOptions) {
    super();
    this.config = TransformerBlockConfigSchema.parse(config);
    const { dModel, nHeads, norm, bias, dropout, initStd, outInitStd, seed } = this.config;
    this.norm1 = this.addModule('norm1', makeNorm(norm, dModel, bias));
    this.attn = this.addModule(
      'attn',
      new Attention(
        { dModel, nHeads, bias, dropout, initStd, outInitStd, seed: deriveSeed(seed, 'attn') },
        { position: options.position ?? null, ownsPosition: options.ownsPosition ?? true },
      ),
    );
    this.norm2 = this.addModule('norm2', makeNorm(norm, dModel, bias));
    this.ff = this.addModule('ff', options.feedForward);
    this.attnDropout = this.addModule(
      'attnDropout',
      new Dropout({ rate: dropout, seed: deriveSeed(seed, 'attnDrop') }),
    );
    this.ffDropout = this.addModule(
      'ffDropout',
      new Dropout({ rate: dropout, seed: deriveSeed(seed, 'ffDrop') }),
    );
  }

  /** x: [batch, seq, dModel]. */
  forward(x: tf.Tensor3D, options: AttentionForwardOptions = {}): TransformerBlockOutput {
    if (this.config.normPlacement === 'pre') {
      const h = tf.add<tf.Tensor3D>(
        x,
        this.attnDropout.forward(this.attn.forward(this.norm1.forward(x), options)),
      );
      const ff = this.ff.forward(this.norm2.forward(h));
      return {
        output: tf.add<tf.Tensor3D>(h, this.ffDropout.forward(ff.output)),
        auxLoss: ff.auxLoss ?? null,
      };
    }
    const h = this.norm1.forward(
      tf.add<tf.Tensor3D>(x, this.attnDropout.forward(this.attn.forward(x, options))),
    );
    const ff = this.ff.forward(h);
    return {
      output: this.norm2.forward(tf.add<tf.Tensor3D>(h, this.ffDropout.forward(ff.output))),
      auxLoss: ff.auxLoss ?? null,
    };
  }
}
