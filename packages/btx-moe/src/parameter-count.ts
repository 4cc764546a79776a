/**
 * Parameter accounting of BTX (spec §2): with P_emb the embeddings, head and
 * everything outside the blocks, P_attn a block's non-FFN parameters
 * (attention and norms), P_ffn one expert:
 *   total  = P_emb + L·(P_attn + E·P_ffn + E·d)       (E·d: the router)
 *   active = P_emb + L·(P_attn + k·P_ffn)
 */
import type { TransformerConfig, TransformerConfigInput } from '@lab/core';
import { TransformerConfigSchema } from '@lab/core';
import { expertsPerToken, MoEOptionsSchema } from './moe-config.js';

export interface ParameterParts {
  /** Parameters outside the blocks: token (and position) embeddings, final norm, untied head. */
  embedding: number;
  /** Per layer, everything but the feed-forward. */
  attention: number;
  /** One dense FFN (one expert). */
  ffn: number;
  nLayers: number;
  dModel: number;
}

export interface ParameterCount {
  total: number;
  active: number;
}

/**
 * The formula itself.
 * @example
 * // Llama-2 7B as a 4-expert BTX: ≈ 19.7e9 total, 11.1e9 active with top-2
 * moeParameterCount({ embedding: 0.262e9, attention: 4 * 4096 ** 2 + 2 * 4096, ffn: 3 * 4096 * 11008, nLayers: 32, dModel: 4096 }, 4, 2);
 */
export function moeParameterCount(parts: ParameterParts, numExperts: number, k: number): ParameterCount {
  const { embedding, attention, ffn, nLayers: l, dModel: d } = parts;
  return {
    total: embedding + l * (attention + numExperts * ffn + numExperts * d),
    active: embedding + l * (attention + k * ffn),
  };
}

/** The parts of a core TransformerLM config (GPT-2 layout: LayerNorm or RMSNorm, fused QKV, biases as configured). */
export function transformerParameterParts(
  config: TransformerConfigInput | TransformerConfig,
): ParameterParts {
  const c = TransformerConfigSchema.parse(config);
  const d = c.dModel;
  const b = c.bias ? 1 : 0;
  const norm = c.norm === 'layer' ? d * (1 + b) : d;
  const activation =
    c.feedForward.kind === 'moe'
      ? MoEOptionsSchema.parse(c.feedForward).activation
      : ((c.feedForward as { activation?: string }).activation ?? 'gelu');
  const hidden = activation === 'swiglu' ? 2 * c.dFF : c.dFF;
  const ffn = d * hidden + b * hidden + c.dFF * d + b * d;
  // qkv [d, 3d] + out [d, d], their biases, two norms.
  let attention = 4 * d * d + b * 4 * d + 2 * norm;
  const p = c.position as { kind: string; shared?: boolean; maxDistance?: number; cap?: number };
  const headDim = d / c.nHeads;
  let embedding =
    c.vocabSize * d + (c.normPlacement === 'pre' ? norm : 0) + (c.tiedEmbeddings ? 0 : d * c.vocabSize);
  if (p.kind === 'absolute') embedding += c.maxSeqLen * d;
  if (p.kind === 'relative' || p.kind === 'capped-relative') {
    const size = (p.kind === 'relative' ? (p.maxDistance ?? c.maxSeqLen) : (p.cap ?? 16)) * headDim;
    if (p.shared ?? true) embedding += size;
    else attention += size;
  }
  return { embedding, attention, ffn, nLayers: c.nLayers, dModel: d };
}

/**
 * Total and active parameters of a config, dense (`kind: 'mlp'`, E = k = 1,
 * no router) or MoE.
 * @example
 * countParameters({ vocabSize: 64, dModel: 128, nLayers: 4, nHeads: 4, maxSeqLen: 128, feedForward: { kind: 'moe', numExperts: 4 } });
 */
export function countParameters(config: TransformerConfigInput | TransformerConfig): ParameterCount {
  const c = TransformerConfigSchema.parse(config);
  const parts = transformerParameterParts(c);
  if (c.feedForward.kind !== 'moe') {
    const total = parts.embedding + parts.nLayers * (parts.attention + parts.ffn);
    return { total, active: total };
  }
  const o = MoEOptionsSchema.parse(c.feedForward);
  return moeParameterCount(parts, o.numExperts, expertsPerToken(o));
}
