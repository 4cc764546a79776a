/**
 * The iteration driver (spec §2.3–2.6): for i = 1..K, sample judgments of the
 * fixed pairs from M_{i−1} in both orders, select training data (rejection
 * sampling, or correct-vs-incorrect pairs for DPO), export it, and hand it to
 * the TrainHook, which returns M_i. Each iteration lives in
 * `<runDir>/iter-<i>/`; sampling is a resumable stage, the exported files are
 * rewritten deterministically, and `localTrainer` reloads a saved M_i, so an
 * interrupted loop picks up where it stopped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '@lab/core';
import type { LanguageModel, PairwiseTemplate, StageProgress } from '@lab/lm';
import type { Order, PairRecord } from './records.js';
import { buildDpoData, rejectionSample, type SelectionStats } from './selection.js';
import { type SamplingOptions, sampleJudgments } from './stages.js';
import { judgeTemplate, planTemplate } from './templates.js';
import { exportDpo, exportSft, type TrainHook } from './train.js';

export interface JudgeLoopOptions {
  runDir: string;
  /** The synthetic pairs, built once (buildPairs). */
  pairs: readonly PairRecord[];
  /** M0. */
  seed: LanguageModel;
  /** Writes iteration 1's judgments (the paper's G); default the seed. */
  firstSampler?: LanguageModel;
  /** Iterations to run (paper: 5). */
  iterations: number;
  /** Trains M_i from the iteration's data and returns it (localTrainer, externalTrainer, your own). */
  train: TrainHook;
  /** SFT or DPO+NLL per iteration. Default: SFT every iteration. */
  method?: (iteration: number) => 'sft' | 'dpo';
  /** The judge prompt each iteration samples with. Default: judgeTemplate; planTemplate for DPO iterations. */
  template?: (iteration: number, method: 'sft' | 'dpo') => PairwiseTemplate;
  /** N per order. Default 15. */
  samplesPerOrder?: number;
  /** Default both; `['0_1']` is the one-order ablation. */
  orders?: readonly Order[];
  /** Default temperature 0.7, topP 0.9, maxTokens 4096. */
  sampling?: SamplingOptions;
  minCorrectFraction?: number;
  /** Balance gold-A and gold-B training inputs (default true; one-order sampling has only gold A, so turn it off there). */
  balance?: boolean;
  /** DPO pairs per input. Default 1. */
  dpoPairsPerInput?: number;
  /**
   * Sampling seed (iteration i samples with seed + i). Unset by default: a seeded request decodes alone
   * on a LocalModel, so leave it unset there for batched speed; set it for reproducible runs.
   */
  samplingSeed?: number;
  /** Pairs per sampling record (LocalModel batching). Default 1. */
  batchSize?: number;
  concurrency?: number;
  /** Selection seed. Default 0. */
  selectionSeed?: number;
  progress?: boolean | ((p: StageProgress) => void);
  signal?: AbortSignal;
  /** Called after each iteration with M_i (evaluate, log, serve). */
  onIteration?: (info: IterationInfo) => Promise<void> | void;
}

export interface IterationInfo {
  iteration: number;
  method: 'sft' | 'dpo';
  model: LanguageModel;
  /** Selection statistics of this iteration's judgments. */
  stats: SelectionStats;
  /** Training records handed to the trainer. */
  trainingRecords: number;
  dir: string;
}

export interface JudgeLoopResult {
  /** M_K. */
  model: LanguageModel;
  iterations: IterationInfo[];
}

/**
 * Runs the Self-Taught Evaluator loop.
 *
 * @example
 * ```ts
 * const { model } = await runJudgeLoop({
 *   runDir: 'runs/ste', pairs, seed: judgeModel, iterations: 5,
 *   train: externalTrainer(async (job) => trainAndServe(job.files.sft)),
 * });
 * ```
 */
export async function runJudgeLoop(options: JudgeLoopOptions): Promise<JudgeLoopResult> {
  if (!Number.isInteger(options.iterations) || options.iterations < 1) {
    throw new LabError(
      'JUDGE_LOOP_INVALID_CONFIG',
      `iterations must be a positive integer, got ${options.iterations}`,
      {},
    );
  }
  if (options.pairs.length === 0) throw new LabError('JUDGE_LOOP_NO_DATA', 'runJudgeLoop: no pairs', {});
  const methodOf = options.method ?? (() => 'sft' as const);
  const templateOf =
    options.template ?? ((_: number, m: 'sft' | 'dpo') => (m === 'dpo' ? planTemplate : judgeTemplate));
  let current: LanguageModel = options.seed;
  const infos: IterationInfo[] = [];
  for (let i = 1; i <= options.iterations; i++) {
    const dir = join(options.runDir, `iter-${i}`);
    await mkdir(dir, { recursive: true });
    const method = methodOf(i);
    const judgments = await sampleJudgments({
      runDir: dir,
      pairs: options.pairs,
      model: i === 1 ? (options.firstSampler ?? current) : current,
      iteration: i,
      samplesPerOrder: options.samplesPerOrder,
      orders: options.orders,
      sampling: options.sampling,
      template: templateOf(i, method),
      batchSize: options.batchSize,
      ...(options.samplingSeed !== undefined ? { seed: options.samplingSeed + i } : {}),
      concurrency: options.concurrency,
      progress: options.progress,
      signal: options.signal,
    });
    const seed = (options.selectionSeed ?? 0) * 1000 + i;
    const { sft, stats } = rejectionSample(judgments, {
      minCorrectFraction: options.minCorrectFraction,
      balance: options.balance,
      seed,
    });
    const sftFile = join(dir, 'sft.jsonl');
    await exportSft(sftFile, sft);
    let dpoRecords: ReturnType<typeof buildDpoData>['dpo'] = [];
    let dpoFile: string | null = null;
    let selStats = stats;
    if (method === 'dpo') {
      const d = buildDpoData(judgments, {
        pairsPerInput: options.dpoPairsPerInput,
        balance: options.balance,
        seed,
      });
      dpoRecords = d.dpo;
      selStats = d.stats;
      dpoFile = join(dir, 'dpo.jsonl');
      await exportDpo(dpoFile, dpoRecords);
    }
    await writeFile(join(dir, 'selection.json'), `${JSON.stringify({ method, ...selStats }, null, 2)}\n`);
    options.signal?.throwIfAborted();
    const next = await options.train({
      iteration: i,
      method,
      sft,
      dpo: dpoRecords,
      files: { sft: sftFile, dpo: dpoFile },
      dir,
      previous: current,
    });
    current = next;
    const info: IterationInfo = {
      iteration: i,
      method,
      model: next,
      stats: selStats,
      trainingRecords: method === 'dpo' ? dpoRecords.length : sft.length,
      dir,
    };
    infos.push(info);
    await options.onIteration?.(info);
  }
  return { model: current, iterations: infos };
}
