/**
 * One training stage of the recipe: a TransformerLM (dense or MoE) trained on
 * a round-robin mixture of document streams with AdamW, warmup and cosine
 * decay (spec §5). Used by train-expert, finetune and the baselines.
 */
import { AdamW, type ParameterList, type TransformerLM, train, warmupCosineSchedule } from '@lab/core';
import { type DomainName, documents } from '../domains/domains.js';
import { lmBatches, packWindows } from '../domains/windows.js';

export interface StageOptions {
  /** Domains mixed round robin (one window each in turn). */
  domains: DomainName[];
  steps: number;
  batchSize?: number;
  /** Window length in tokens (the model sees windowLength − 1 inputs). Default model.maxSeqLen + 1. */
  windowLength?: number;
  peakLr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  /** Seed of the data streams. */
  dataSeed?: number;
  /** 'all' (default) or 'router': only MoE routers train. */
  trainable?: 'all' | 'router';
  /** Explicit streams of documents instead of the synthetic domains. */
  docs?: Iterator<string>[];
  log?: (line: string) => void;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

export interface StageResult {
  losses: number[];
  tokens: number;
  ms: number;
}

/** Parameters a stage trains. */
export function stageParameters(model: TransformerLM, trainable: 'all' | 'router'): ParameterList {
  const named = model.namedParameters();
  return trainable === 'router' ? named.filter(([n]) => /\.ff\.router\./.test(n)) : named;
}

/**
 * @example
 * await trainStage(model, { domains: ['arith'], steps: 100, batchSize: 16 });
 */
export async function trainStage(model: TransformerLM, o: StageOptions): Promise<StageResult> {
  const batchSize = o.batchSize ?? 16;
  const windowLength = o.windowLength ?? model.maxSeqLen + 1;
  const seed = o.dataSeed ?? 0;
  const docs = o.docs ?? o.domains.map((d, i) => documents(d, 'train', seed * 1000 + i));
  const streams = docs.map((d) => packWindows(d, windowLength));
  const peakLr = o.peakLr ?? 6e-4;
  const optimizer = new AdamW(stageParameters(model, o.trainable ?? 'all'), {
    lr: warmupCosineSchedule({
      peakLr,
      warmupSteps: Math.min(o.warmupSteps ?? 100, Math.floor(o.steps / 5)),
      totalSteps: o.steps,
    }),
    weightDecay: o.weightDecay ?? 0.1,
    // Stacked expert biases are rank 2; like every bias they are not decayed.
    noDecayNames: [/\.ff\.b[12]$/],
  });
  const started = performance.now();
  try {
    const result = await train({
      model,
      steps: o.steps,
      data: lmBatches(streams, batchSize, o.steps),
      optimizer,
      maxGradNorm: o.maxGradNorm ?? 1,
      progress: o.progress ?? 'none',
      ...(o.log ? { log: o.log } : {}),
    });
    return {
      losses: result.losses,
      tokens: result.steps * batchSize * (windowLength - 1),
      ms: performance.now() - started,
    };
  } finally {
    optimizer.dispose();
  }
}
