/**
 * Plugs CoPE into @lab/core's TransformerLM: the `position: { kind: 'cope', … }`
 * config and the factory the model calls once per layer. It handles what spans
 * layers: a table shared by every CoPE layer, and the reference's `cope+rel`
 * (CoPE on every K-th layer, core's learned relative bias on all layers).
 */
import type { PluginConfig, PositionEncoding, TransformerConfig } from '@lab/core';
import { LabError, LearnedRelativePosition, Module, type tf } from '@lab/core';
import { z } from 'zod';
import { CoPE, CopeGateSchema } from './cope.js';

/** What goes in TransformerConfig.position for CoPE. */
export const CopePositionConfigSchema = z.strictObject({
  kind: z.literal('cope'),
  /** Table rows p_max + 1. Default maxSeqLen + 1 (positions never clip). */
  npos: z.number().int().min(2).optional(),
  nodiv: z.boolean().default(false),
  gate: CopeGateSchema.default({ kind: 'key' }),
  tablePerHead: z.boolean().default(false),
  /** One table for every CoPE layer instead of one per layer. */
  sharedTable: z.boolean().default(false),
  /** CoPE on layers l with (l + 1) mod copeEvery = 0. */
  copeEvery: z.number().int().positive().default(1),
  /**
   * Core's learned relative bias (one table shared by all layers) on every
   * layer, CoPE layers included: the reference's `cope+rel`. Default: on when
   * copeEvery > 1 (so the other layers have positions), off otherwise.
   */
  relative: z.boolean().optional(),
  /** Columns of the relative table. Default maxSeqLen. */
  relativeMaxDistance: z.number().int().positive().optional(),
  recordPositions: z.boolean().default(false),
});
export type CopePositionConfig = z.infer<typeof CopePositionConfigSchema>;
export type CopePositionConfigInput = z.input<typeof CopePositionConfigSchema>;

interface ModelState {
  table: tf.Variable | null;
  relative: LearnedRelativePosition | null;
}

const states = new WeakMap<TransformerConfig, ModelState>();

/**
 * The position-encoding factory for TransformerLM (`options.positionEncodings.cope`).
 * Returns a CoPE for CoPE layers and core's relative encoding (or null-like
 * none, when `relative` is off) for the others.
 *
 * @example
 * const model = new TransformerLM(
 *   { vocabSize: 32, dModel: 64, nLayers: 2, nHeads: 4, maxSeqLen: 128, position: { kind: 'cope' } },
 *   { positionEncodings: { cope: copeFactory } },
 * );
 */
export function copeFactory(
  config: PluginConfig,
  layerIndex: number,
  model: TransformerConfig,
): PositionEncoding {
  const parsed = CopePositionConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new LabError('COPE_CONFIG', `invalid position config for CoPE: ${z.prettifyError(parsed.error)}`, {
      config,
    });
  }
  const c = parsed.data;
  const headDim = model.dModel / model.nHeads;
  const useRelative = c.relative ?? c.copeEvery > 1;
  let state = states.get(model);
  if (!state || layerIndex === 0) {
    // A new model (the config object is per model; layer 0 is always built first).
    state = { table: null, relative: null };
    states.set(model, state);
  }
  if (useRelative && !state.relative) {
    state.relative = new LearnedRelativePosition({
      headDim,
      size: c.relativeMaxDistance ?? model.maxSeqLen,
      seed: model.seed * 7919 + 101,
      divide: !c.nodiv,
    });
  }
  const isCope = (layerIndex + 1) % c.copeEvery === 0;
  if (!isCope) {
    if (state.relative) return state.relative;
    return new NoPosition();
  }
  const cope = new CoPE(
    {
      headDim,
      numHeads: model.nHeads,
      npos: c.npos ?? model.maxSeqLen + 1,
      nodiv: c.nodiv,
      gate: c.gate,
      tablePerHead: c.tablePerHead,
      recordPositions: c.recordPositions,
    },
    {
      ...(c.sharedTable && state.table ? { sharedTable: state.table } : {}),
      ...(state.relative ? { inner: state.relative } : {}),
      // The relative table belongs to the model through the non-CoPE layers
      // that return it; with CoPE on every layer, the first CoPE layer owns it.
      ownsInner: c.copeEvery === 1 && layerIndex === 0,
    },
  );
  if (c.sharedTable && !state.table) state.table = cope.table;
  return cope;
}

/** Layers without CoPE when the relative bias is off: no hooks, attention alone. */
class NoPosition extends Module implements PositionEncoding {
  readonly kind = 'none';
}
