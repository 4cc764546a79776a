/**
 * The factory TransformerLM (and loadModel) need to build `kind: 'moe'`
 * feed-forwards from a model config. Pass `{ feedForwards: moeFeedForwards }`.
 */
import type { FeedForwardFactory, TransformerConfig, TransformerLM } from '@lab/core';
import { LabError } from '@lab/core';
import { z } from 'zod';
import { MoEOptionsSchema } from './moe-config.js';
import { MoEFeedForward } from './moe-feed-forward.js';

/** Seeds derived the way core derives its MLP's, so a fresh MoE is reproducible per layer. */
function layerSeed(seed: number, layer: number): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  const text = `blocks.${layer}.ff.moe`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) & 0x7fffffff;
}

/**
 * Builds the MoE feed-forward of one layer from `config.feedForward`.
 *
 * @example
 * const model = new TransformerLM({ ...base, feedForward: { kind: 'moe', numExperts: 4 } }, { feedForwards: { moe: makeMoEFeedForward } });
 */
export const makeMoEFeedForward: FeedForwardFactory = (
  options,
  layerIndex,
  modelConfig: TransformerConfig,
) => {
  const parsed = MoEOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new LabError('MOE_CONFIG', `feedForward of kind "moe": ${z.prettifyError(parsed.error)}`, {
      layer: layerIndex,
      issues: parsed.error.issues,
    });
  }
  const { kind: _kind, ...o } = parsed.data;
  return new MoEFeedForward({
    ...o,
    dModel: modelConfig.dModel,
    dFF: modelConfig.dFF,
    bias: modelConfig.bias,
    outInitStd: 0.02 / Math.sqrt(2 * modelConfig.nLayers),
    seed: layerSeed(modelConfig.seed, layerIndex),
  });
};

/** The plug-in map for TransformerLM / loadModel: `{ feedForwards: moeFeedForwards }`. */
export const moeFeedForwards: Record<string, FeedForwardFactory> = { moe: makeMoEFeedForward };

/** The MoE layers of a model, in layer order (empty for a dense model). */
export function moeLayers(model: TransformerLM): MoEFeedForward[] {
  return model.blocks.map((b) => b.ff).filter((f): f is MoEFeedForward => f instanceof MoEFeedForward);
}
