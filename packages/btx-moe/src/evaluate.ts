/**
 * Held-out evaluation of a model on a synthetic domain: next-token loss in
 * nats per character and, for MoE models, the share of routing slots each
 * expert took in each layer (the routing histogram of that domain).
 */
import { type CausalLM, maskedCrossEntropy, type TransformerLM, tf } from '@lab/core';
import { type DomainName, documents } from './domains/domains.js';
import { lmBatches, packWindows } from './domains/windows.js';
import { moeLayers } from './factory.js';
import { btmLoss } from './recipe/btm.js';

export interface EvalOptions {
  batches?: number;
  batchSize?: number;
  /** Window length in tokens. Default model.maxSeqLen + 1. */
  windowLength?: number;
  /** Seed of the held-out stream (distinct from training seeds by the hash split anyway). */
  seed?: number;
}

export interface DomainEval {
  domain: DomainName;
  /** Mean next-token loss, nats per token (one token is one character). */
  loss: number;
  /** Per MoE layer, per expert: share of routing slots (empty for dense models). */
  routing: number[][];
}

function heldoutBatches(domain: DomainName, maxSeqLen: number, o: EvalOptions) {
  const stream = packWindows(documents(domain, 'heldout', o.seed ?? 12345), o.windowLength ?? maxSeqLen + 1);
  return lmBatches([stream], o.batchSize ?? 16, o.batches ?? 8);
}

/**
 * @example
 * const { loss, routing } = evaluateDomain(model, 'arith', { batches: 8 });
 */
export function evaluateDomain(model: TransformerLM, domain: DomainName, o: EvalOptions = {}): DomainEval {
  const layers = moeLayers(model);
  const slots = layers.map((l) => new Array<number>(l.numExperts).fill(0));
  let sum = 0;
  let n = 0;
  const wasTraining = model.blocks[0]?.training ?? true;
  model.eval();
  try {
    for (const batch of heldoutBatches(domain, model.maxSeqLen, o)) {
      const l = tf.tidy(() => {
        const [b, t] = batch.tokens.shape;
        const out = model.forward(tf.slice(batch.tokens, [0, 0], [b, t - 1]) as tf.Tensor2D);
        return maskedCrossEntropy(out.logits, tf.slice(batch.tokens, [0, 1], [b, t - 1]), null);
      });
      sum += l.dataSync()[0]!;
      n++;
      l.dispose();
      tf.dispose(batch.tokens);
      layers.forEach((layer, i) => {
        const s = layer.routingStats()!;
        s.slotsPerExpert.forEach((c, e) => {
          slots[i]![e]! += c;
        });
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return {
    domain,
    loss: sum / n,
    routing: slots.map((row) => {
      const total = row.reduce((a, b) => a + b, 0);
      return row.map((c) => c / total);
    }),
  };
}

/**
 * Held-out loss of a BTM ensemble on a domain.
 * @example
 * btmEvaluate([a, b, c], 'mixed', { topK: 1 });
 */
export function btmEvaluate(
  models: readonly CausalLM[],
  domain: DomainName,
  o: EvalOptions & { topK?: number } = {},
): number {
  let sum = 0;
  let n = 0;
  for (const m of models) (m as unknown as { eval?: () => void }).eval?.();
  for (const batch of heldoutBatches(domain, models[0]!.maxSeqLen, o)) {
    sum += btmLoss(models, batch.tokens, { topK: o.topK });
    n++;
    tf.dispose(batch.tokens);
  }
  return sum / n;
}
