/**
 * Learned relative position bias (Shaw et al. 2018, as in the CoPE reference
 * code): score_ij += q_i · r_{i-j} / sqrt(headDim), from a [headDim, size]
 * table. Computed without a [T, T, d] tensor: Z = q R is one rank-2 matmul
 * ([rows, headDim] x [headDim, size]), then a gather picks Z[i, i-j] through
 * fixed flat indices. With a cap C the table has C columns and distances
 * >= C either reuse the last column ("extend") or get no bias ("zero").
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalInit } from '../nn/init.js';
import { Module } from '../nn/module.js';
import type { AttentionScoresContext, PositionEncoding } from './types.js';

export interface LearnedRelativePositionOptions {
  headDim: number;
  /** Table columns: distances 0..size-1 have their own vector. */
  size: number;
  /** What distances >= size get: the last column ("extend") or no bias ("zero"). Default "extend". */
  beyond?: 'extend' | 'zero';
  /** Scale the bias by 1/sqrt(headDim) like the scores (default true; the CoPE reference's default). */
  divide?: boolean;
  seed?: number;
}

interface IndexPlan {
  key: string;
  /** Into Z reshaped [batch·heads, qLen·size]: i·size + clamp(i + offset - j). */
  index: Int32Array;
  /** 1 where the distance has a column, 0 past the cap in "zero" mode (null: all 1). */
  keep: Float32Array | null;
}

/**
 * @example
 * const rel = new LearnedRelativePosition({ headDim: 16, size: 64 });
 * const attn = new Attention({ dModel: 64, nHeads: 4 }, { position: rel });
 */
export class LearnedRelativePosition extends Module implements PositionEncoding {
  readonly kind: string;
  readonly table: tf.Variable;
  readonly size: number;
  readonly beyond: 'extend' | 'zero';
  private readonly scale: number;
  private plan: IndexPlan | null = null;

  constructor(options: LearnedRelativePositionOptions) {
    super();
    this.size = options.size;
    this.beyond = options.beyond ?? 'extend';
    this.kind = options.beyond === undefined ? 'relative' : 'capped-relative';
    this.scale = options.divide === false ? 1 : 1 / Math.sqrt(options.headDim);
    this.table = this.addParameter(
      'table',
      normalInit([options.headDim, options.size], 1 / Math.sqrt(options.headDim), options.seed ?? 0),
    );
  }

  private indexPlan(qLen: number, kLen: number, offset: number): IndexPlan {
    const key = `${qLen}/${kLen}/${offset}`;
    if (this.plan?.key === key) return this.plan;
    const size = this.size;
    const index = new Int32Array(qLen * kLen);
    const keep = this.beyond === 'zero' ? new Float32Array(qLen * kLen) : null;
    for (let i = 0; i < qLen; i++) {
      for (let j = 0; j < kLen; j++) {
        // Future keys (negative distance) are masked by attention; any column will do.
        const dist = Math.max(0, i + offset - j);
        index[i * kLen + j] = i * size + Math.min(dist, size - 1);
        if (keep) keep[i * kLen + j] = dist < size ? 1 : 0;
      }
    }
    this.plan = { key, index, keep };
    return this.plan;
  }

  /** The bias q_i·r_{i-j} (scaled) alone: [batch, heads, qLen, kLen]. */
  bias(q: tf.Tensor4D, kLen: number, queryOffset: number): tf.Tensor4D {
    const [batch, heads, qLen, headDim] = q.shape;
    const plan = this.indexPlan(qLen, kLen, queryOffset);
    const table = this.scale === 1 ? this.table : tf.mul(this.table, this.scale); // [headDim, size]
    const z = tf.matMul(tf.reshape(q, [batch * heads * qLen, headDim]), table as tf.Tensor2D); // [b·h·qLen, size]
    const rows = tf.reshape(z, [batch * heads, qLen * this.size]);
    const picked = tf.gather(rows, tf.tensor1d(plan.index, 'int32'), 1); // [b·h, qLen·kLen]
    let bias = tf.reshape<tf.Rank.R4>(picked, [batch, heads, qLen, kLen]);
    if (plan.keep) bias = tf.mul<tf.Tensor4D>(bias, tf.tensor4d(plan.keep, [1, 1, qLen, kLen]));
    return bias;
  }

  adjustScores(ctx: AttentionScoresContext): tf.Tensor4D {
    return tf.add(ctx.scores, this.bias(ctx.q, ctx.k.shape[2], ctx.queryOffset));
  }
}
