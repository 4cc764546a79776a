/**
 * CoPE, Contextual Position Encoding (Golovneva, Wang, Weston, Sukhbaatar 2024,
 * arXiv:2405.18719), as a @lab/core PositionEncoding on the `adjustScores`
 * hook: positions count the keys whose gate σ(q·k/√d_h) fires, and the
 * attention score gains q·e[p], interpolated between integer positions.
 * One instance serves one attention layer.
 */

import type { AttentionScoresContext, PositionEncoding } from '@lab/core';
import { LabError, Module, tf } from '@lab/core';
import { z } from 'zod';
import { contextualPositions, interpolatedPositionLogits } from './cope-ops.js';

/** Where the gate logits come from (paper section 3; `separateKey` and `value` are its ablations). */
export const CopeGateSchema = z.discriminatedUnion('kind', [
  /** σ(q·kᵀ/√d_h): the attention logits themselves (the paper's default). */
  z.strictObject({ kind: z.literal('key') }),
  /**
   * σ(q·(k W_g)ᵀ/√d_h) with a learned [headDim, headDim] W_g per layer, shared
   * by heads and initialised to the identity (so it starts as `key`). The
   * reference projects the layer input instead; the plug point hands over
   * keys, not inputs, and k W_g spans the same functions of the input.
   */
  z.strictObject({ kind: z.literal('separateKey') }),
  /** σ(q·vᵀ/√d_h): needs attention to pass `v` in the scores context. */
  z.strictObject({ kind: z.literal('value') }),
]);
export type CopeGate = z.infer<typeof CopeGateSchema>;

/** Configuration of one CoPE layer. */
export const CopeConfigSchema = z.strictObject({
  /** Width of one head (d_h). */
  headDim: z.number().int().positive(),
  /** Heads per layer; used for `tablePerHead`. */
  numHeads: z.number().int().positive(),
  /** Rows of the position table, p_max + 1; positions are clipped at npos − 1. */
  npos: z.number().int().min(2),
  /** Add the bias to the scaled scores instead of dividing it by √d_h too. */
  nodiv: z.boolean().default(false),
  gate: CopeGateSchema.default({ kind: 'key' }),
  /** Extension (off in the paper): one [headDim, npos] table per head. */
  tablePerHead: z.boolean().default(false),
  /** Keep the positions of the latest call in `lastPositions` (for attention maps). */
  recordPositions: z.boolean().default(false),
});
export type CopeConfig = z.infer<typeof CopeConfigSchema>;
export type CopeConfigInput = z.input<typeof CopeConfigSchema>;

/** Collaborators that are not configuration. */
export interface CopeOptions {
  /** A table owned by another CoPE layer (shared table); this layer does not register it. */
  sharedTable?: tf.Variable;
  /** An encoding whose `adjustScores` runs first (cope+rel: core's relative bias). */
  inner?: PositionEncoding;
  /** Register `inner` as a sub-module (its parameters become this layer's). Default true; false when another module owns it. */
  ownsInner?: boolean;
}

/**
 * Contextual Position Encoding for one attention layer.
 *
 * @example
 * const cope = new CoPE({ headDim: 16, numHeads: 4, npos: 129 });
 * const adjusted = cope.adjustScores({ q, k, scores, allowed, queryOffset: 0 }); // [B, H, Tq, Tk]
 */
export class CoPE extends Module implements PositionEncoding {
  readonly kind: string;
  readonly config: CopeConfig;
  /** [headDim, npos] or [heads, headDim, npos]; zero-initialised as in the reference. */
  readonly table: tf.Variable;
  /** [headDim, headDim], only with `gate.kind === 'separateKey'`. */
  readonly gateKey: tf.Variable | null;
  readonly inner: PositionEncoding | null;
  private positions: tf.Tensor4D | null = null;

  constructor(config: CopeConfigInput, options: CopeOptions = {}) {
    super();
    const parsed = CopeConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new LabError('COPE_CONFIG', `invalid CoPE config: ${z.prettifyError(parsed.error)}`, { config });
    }
    this.config = parsed.data;
    const { headDim, numHeads, npos, tablePerHead } = this.config;
    const shape = tablePerHead ? [numHeads, headDim, npos] : [headDim, npos];
    this.inner = options.inner ?? null;
    this.kind = this.inner ? `cope+${this.inner.kind}` : 'cope';
    if (options.sharedTable) {
      if (!tf.util.arraysEqual(options.sharedTable.shape, shape)) {
        throw new LabError(
          'COPE_SHAPE',
          `shared table: expected shape [${shape.join(', ')}], got [${options.sharedTable.shape.join(', ')}]`,
          { expected: shape, actual: options.sharedTable.shape },
        );
      }
      this.table = options.sharedTable;
    } else {
      this.table = this.addParameter('table', tf.zeros(shape));
    }
    this.gateKey =
      this.config.gate.kind === 'separateKey' ? this.addParameter('gateKey', tf.eye(headDim)) : null;
    if (this.inner && (options.ownsInner ?? true)) this.addModule('inner', this.inner);
  }

  /**
   * Positions p of the latest call, [batch, heads, qLen, kLen], when
   * `recordPositions` is on; owned by this layer (do not dispose), replaced on
   * the next call.
   */
  get lastPositions(): tf.Tensor4D | null {
    return this.positions;
  }

  /** Gate logits [B, H, Tq, Tk] (already divided by √d_h). */
  private gateLogits(ctx: AttentionScoresContext): tf.Tensor4D {
    const { q, k, v } = ctx;
    const scale = 1 / Math.sqrt(this.config.headDim);
    switch (this.config.gate.kind) {
      case 'key':
        return ctx.scores;
      case 'separateKey': {
        const [b, h, tk, dh] = k.shape;
        const kg = tf.reshape(
          tf.matMul(tf.reshape(k, [b * h * tk, dh]), this.gateKey as tf.Variable<tf.Rank.R2>),
          [b, h, tk, dh],
        ); // [B, H, Tk, dh]
        return tf.mul(tf.matMul(q, kg, false, true), scale) as tf.Tensor4D;
      }
      case 'value':
        if (!v) {
          throw new LabError(
            'COPE_VALUES_MISSING',
            'CoPE value gates need the attention layer to pass `v` in the adjustScores context',
            { gate: 'value' },
          );
        }
        return tf.mul(tf.matMul(q, v, false, true), scale) as tf.Tensor4D;
    }
  }

  adjustScores(ctx: AttentionScoresContext): tf.Tensor4D {
    const { q, allowed } = ctx;
    const { npos, nodiv, headDim } = this.config;
    const out = tf.tidy(() => {
      const base = this.inner?.adjustScores ? this.inner.adjustScores(ctx) : ctx.scores; // [B, H, Tq, Tk]
      const gates = tf.sigmoid(this.gateLogits(ctx)) as tf.Tensor4D; // [B, H, Tq, Tk]
      const p = contextualPositions(gates, allowed, npos - 1); // [B, H, Tq, Tk]
      const bias = interpolatedPositionLogits(q, this.table, p); // [B, H, Tq, Tk]
      if (this.config.recordPositions) {
        this.positions?.dispose();
        this.positions = tf.keep(tf.clone(p));
      }
      // Reference: softmax((q·k + bias)/√d_h); nodiv keeps the bias unscaled.
      return tf.add(base, nodiv ? bias : tf.mul(bias, 1 / Math.sqrt(headDim))) as tf.Tensor4D;
    });
    return out;
  }

  override dispose(): void {
    this.positions?.dispose();
    this.positions = null;
    super.dispose();
  }
}
