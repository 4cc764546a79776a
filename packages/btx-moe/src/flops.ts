/**
 * FLOP accounting used to match compute between arms (spec §5): a training
 * token costs 3× its forward (forward + backward), and the forward costs
 * 2 FLOPs per active weight it multiplies plus attention's score and value
 * products. MoE layers count the k experts a token uses (plus the router),
 * not the E that the dense CPU path happens to run.
 */
import type { TransformerConfig, TransformerConfigInput } from '@lab/core';
import { TransformerConfigSchema } from '@lab/core';
import { expertsPerToken, MoEOptionsSchema } from './moe-config.js';
import { transformerParameterParts } from './parameter-count.js';

/**
 * Forward FLOPs per token at context length `seqLen` (attention averaged over causal positions).
 * @example
 * forwardFlopsPerToken(config, 128);
 */
export function forwardFlopsPerToken(
  config: TransformerConfigInput | TransformerConfig,
  seqLen: number,
): number {
  const c = TransformerConfigSchema.parse(config);
  const parts = transformerParameterParts(c);
  let ffn = parts.ffn;
  let router = 0;
  if (c.feedForward.kind === 'moe') {
    const o = MoEOptionsSchema.parse(c.feedForward);
    ffn *= expertsPerToken(o);
    router = c.dModel * o.numExperts;
  }
  const matmulWeights = 4 * c.dModel * c.dModel + ffn + router; // per layer
  const attention = 2 * 2 * ((seqLen + 1) / 2) * c.dModel; // QKᵀ and PV over the causal prefix
  return c.nLayers * (2 * matmulWeights + attention) + 2 * c.dModel * c.vocabSize;
}

/** Training FLOPs per token: 3 × forward. */
export function trainingFlopsPerToken(
  config: TransformerConfigInput | TransformerConfig,
  seqLen: number,
): number {
  return 3 * forwardFlopsPerToken(config, seqLen);
}
