/**
 * A small end-to-end demo of the recipe: a tiny seed, three experts branched
 * and trained on one domain each, merged into a 4-expert MoE (the seed's FFN
 * kept), finetuned briefly, then the router's choices per domain printed.
 */
import { join } from 'node:path';
import { loadModel, saveModel, TransformerLM } from '@lab/core';
import { CHAR_VOCAB_SIZE } from './domains/char-vocab.js';
import { DOMAINS, type DomainName } from './domains/domains.js';
import { evaluateDomain } from './evaluate.js';
import { moeFeedForwards } from './factory.js';
import { branch, finetune, mix, trainExpert } from './recipe/steps.js';
import { trainStage } from './recipe/train-stage.js';

export interface DemoOptions {
  /** Work folder (checkpoints are written here). */
  dir: string;
  seedSteps?: number;
  expertSteps?: number;
  finetuneSteps?: number;
  dModel?: number;
  log?: (line: string) => void;
}

export interface DemoResult {
  /** Per domain, per layer: share of routing slots of each expert (arith, code, wiki, seed). */
  routing: Record<DomainName, number[][]>;
  loss: Record<DomainName, number>;
  table: string;
}

/**
 * @example
 * const { table } = await btxDemo({ dir: '/tmp/btx-demo' }); console.log(table);
 */
export async function btxDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? (() => {});
  const p = (name: string) => join(o.dir, name);
  const d = o.dModel ?? 32;
  const seed = new TransformerLM({
    vocabSize: CHAR_VOCAB_SIZE,
    dModel: d,
    nLayers: 2,
    nHeads: 2,
    dFF: 4 * d,
    maxSeqLen: 48,
  });
  await trainStage(seed, {
    domains: [...DOMAINS],
    steps: o.seedSteps ?? 60,
    batchSize: 8,
    peakLr: 2e-3,
    warmupSteps: 5,
  });
  await saveModel(p('seed'), seed);
  seed.dispose();
  log('seed trained');
  for (const domain of DOMAINS) {
    await branch(p('seed'), p(`expert-${domain}`));
    const r = await trainExpert({
      checkpoint: p(`expert-${domain}`),
      out: p(`expert-${domain}`),
      domain,
      steps: o.expertSteps ?? 80,
      batchSize: 8,
      peakLr: 2e-3,
      warmupSteps: 5,
    });
    log(`expert ${domain}: final loss ${r.losses.at(-1)!.toFixed(3)}`);
  }
  await mix({ seed: p('seed'), experts: DOMAINS.map((x) => p(`expert-${x}`)), out: p('btx') });
  await finetune({
    checkpoint: p('btx'),
    out: p('btx'),
    steps: o.finetuneSteps ?? 20,
    batchSize: 8,
    peakLr: 1e-3,
    warmupSteps: 2,
  });
  const { model } = await loadModel(p('btx'), { feedForwards: moeFeedForwards });
  const routing = {} as Record<DomainName, number[][]>;
  const loss = {} as Record<DomainName, number>;
  const rows = ['| domain | layer | arith | code | wiki | seed |', '|---|---|---|---|---|---|'];
  for (const domain of [...DOMAINS, 'mixed'] as DomainName[]) {
    const r = evaluateDomain(model, domain, { batches: 2, batchSize: 8 });
    routing[domain] = r.routing;
    loss[domain] = r.loss;
    r.routing.forEach((shares, l) => {
      rows.push(`| ${domain} | ${l} | ${shares.map((s) => `${(100 * s).toFixed(0)}%`).join(' | ')} |`);
    });
  }
  model.dispose();
  return { routing, loss, table: rows.join('\n') };
}
