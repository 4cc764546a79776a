/**
 * Multi-head causal self-attention with a pluggable position encoding.
 * Hooks, in order: `rotate` on q and the new keys (RoPE; keys are cached
 * rotated), `adjustScores` on the scaled scores before masking (relative
 * bias, CoPE). The QKV projection is one fused Linear ([dModel, 3·dModel]:
 * q, k, v column blocks, heads contiguous inside each) so the step runs one
 * matmul instead of three.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { scaledMatMul } from '../backend/fused.js';
import { formatShape, LabError } from '../errors.js';
import type { TransformerKVCache } from '../model/kv-cache.js';
import type { PositionEncoding } from '../position/types.js';
import { type AttentionMask, buildAttentionMask } from './attention-mask.js';
import { Dropout } from './dropout.js';
import { deriveSeed } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export const AttentionConfigSchema = z.strictObject({
  dModel: z.number().int().positive(),
  nHeads: z.number().int().positive(),
  bias: z.boolean().default(true),
  /** Dropout on the attention probabilities. */
  dropout: z.number().min(0).lt(1).default(0),
  initStd: z.number().nonnegative().default(0.02),
  /** Init std of the output projection. Default: initStd. */
  outInitStd: z.number().nonnegative().optional(),
  seed: z.number().int().default(0),
});
export type AttentionConfig = z.infer<typeof AttentionConfigSchema>;

export interface AttentionOptions {
  /** Position encoding whose rotate/adjustScores hooks this layer calls. Default none. */
  position?: PositionEncoding | null;
  /** Register the encoding's parameters under this module (`position.*`). False when the model owns a shared one. Default true. */
  ownsPosition?: boolean;
}

export interface AttentionForwardOptions {
  /** The model's cache and this layer's index in it: new keys/values are appended. */
  cache?: { store: TransformerKVCache; layer: number };
  /** Precomputed mask for [qLen, cacheLength + qLen]; built (causal, no padding) when absent. */
  mask?: AttentionMask;
}

/**
 * @example
 * const attn = new Attention({ dModel: 64, nHeads: 4 }, { position: new RotaryPosition({ headDim: 16 }) });
 * const y = attn.forward(x); // x, y: [batch, seq, 64]
 */
export class Attention extends Module {
  readonly config: AttentionConfig;
  readonly headDim: number;
  readonly qkv: Linear;
  readonly out: Linear;
  readonly position: PositionEncoding | null;
  private readonly probDropout: Dropout;

  constructor(config: z.input<typeof AttentionConfigSchema>, options: AttentionOptions = {}) {
    super();
    this.config = AttentionConfigSchema.parse(config);
    const { dModel, nHeads, bias, initStd, seed } = this.config;
    if (dModel % nHeads !== 0) {
      throw new LabError('CONFIG_INVALID', `dModel ${dModel} is not divisible by nHeads ${nHeads}`, {
        field: 'nHeads',
        dModel,
        nHeads,
      });
    }
    this.headDim = dModel / nHeads;
    this.qkv = this.addModule(
      'qkv',
      new Linear({
        inFeatures: dModel,
        outFeatures: 3 * dModel,
        bias,
        initStd,
        seed: deriveSeed(seed, 'qkv'),
      }),
    );
    this.out = this.addModule(
      'out',
      new Linear({
        inFeatures: dModel,
        outFeatures: dModel,
        bias,
        initStd: this.config.outInitStd ?? initStd,
        seed: deriveSeed(seed, 'out'),
      }),
    );
    this.probDropout = this.addModule(
      'probDropout',
      new Dropout({ rate: this.config.dropout, seed: deriveSeed(seed, 'probDropout') }),
    );
    this.position = options.position ?? null;
    if (this.position && (options.ownsPosition ?? true)) this.addModule('position', this.position);
  }

  /** x: [batch, seq, dModel] -> [batch, seq, dModel]. */
  forward(x: tf.Tensor3D, options: AttentionForwardOptions = {}): tf.Tensor3D {
    const { dModel, nHeads } = this.config;
    const headDim = this.headDim;
    if (x.rank !== 3 || x.shape[2] !== dModel) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `Attention expects [batch, seq, ${dModel}], got ${formatShape(x.shape)}`,
        {
          op: 'Attention',
          actual: x.shape,
        },
      );
    }
    const [batch, seq] = x.shape;
    const offset = options.cache ? options.cache.store.length : 0;

    const qkv = this.qkv.forward(tf.reshape(x, [batch * seq, dModel]) as tf.Tensor2D); // [b·t, 3·dModel]
    // Split then three rank-4 transposes: wasm's rank-5 transpose is ~50x slower.
    const heads = (t: tf.Tensor) =>
      tf.transpose(tf.reshape(t, [batch, seq, nHeads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D; // [b, h, t, hd]
    const [qFlat, kFlat, vFlat] = tf.split(qkv, 3, 1); // [b·t, dModel] each
    let q = heads(qFlat!);
    let k = heads(kFlat!);
    let v = heads(vFlat!);
    const pe = this.position;
    if (pe?.rotate) {
      q = pe.rotate(q, offset);
      k = pe.rotate(k, offset);
    }
    if (options.cache) ({ k, v } = options.cache.store.append(options.cache.layer, k, v));
    const kLen = k.shape[2];

    const mask = options.mask ?? buildAttentionMask(seq, kLen, null);
    const scale = 1 / Math.sqrt(headDim);
    const q3 = tf.reshape(q, [batch * nHeads, seq, headDim]); // [b·h, t, hd]
    const k3 = tf.reshape(k, [batch * nHeads, kLen, headDim]); // [b·h, kLen, hd]
    // With @lab/core-native the scale rides in sgemm's alpha (one kernel each way).
    const scores3 = scaledMatMul(q3, k3, false, true, scale) ?? tf.matMul(tf.mul(q3, scale), k3, false, true); // [b·h, t, kLen]
    let scores = tf.reshape(scores3, [batch, nHeads, seq, kLen]) as tf.Tensor4D; // [b, h, t, kLen]
    if (pe?.adjustScores) {
      scores = pe.adjustScores({ q, k, v, scores, allowed: mask.allowed, queryOffset: offset });
    }
    const probs = this.probDropout.forward(tf.softmax(tf.add(scores, mask.bias))); // [b, h, t, kLen]
    const context = tf.matMul(
      tf.reshape(probs, [batch * nHeads, seq, kLen]),
      tf.reshape(v, [batch * nHeads, kLen, headDim]),
    ); // [b·h, t, hd]
    const merged = tf.reshape(
      tf.transpose(tf.reshape(context, [batch, nHeads, seq, headDim]), [0, 2, 1, 3]),
      [batch * seq, dModel],
    ); // [b·t, dModel]
    return tf.reshape(this.out.forward(merged), [batch, seq, dModel]);
  }
}
