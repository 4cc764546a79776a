/**
 * The tiny world's seed judge M0, trained the way benchmarks/judge-loop does
 * it: phase 1 on the seed corpus (noisy solutions + noisy judge transcripts),
 * then phase 2 on fresh transcripts alone, so a short run learns the checks
 * and not just the transcript format. Budgets are in optimizer steps so a
 * caller can fit a wall-clock budget (the demo trains for seconds).
 */
import { TransformerLM } from '@lab/core';
import { LocalModel, sft, type TrainingRun } from '@lab/lm';
import { seedCorpus, tinyTokenizer } from './tiny-world.js';

export interface TinySeedOptions {
  /** Continue training this model (its optimizer state is not kept); default a fresh TransformerLM. */
  model?: TransformerLM;
  /** Architecture of a fresh model. Default the benchmark's smoke size (d 32, one layer). */
  architecture?: { dModel: number; nLayers: number; nHeads: number; dFF: number; maxSeqLen: number };
  /** Phase 1 corpus: solutions and transcripts (seedCorpus seed `seed`). */
  solutions?: number;
  transcripts?: number;
  phase1Steps: number;
  /** Phase 2 corpus: fresh transcripts only (seedCorpus seed `seed + 1`); 0 steps skips it. */
  judgeTranscripts?: number;
  phase2Steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
}

export interface TinySeed {
  model: TransformerLM;
  /** The model with the tiny tokenizer, usable as a LanguageModel (e.g. by selfTaughtJudge). */
  lm: LocalModel;
  /** One run per phase that trained (phase 2 omitted when it has 0 steps). */
  runs: TrainingRun[];
}

/**
 * Trains (or continues) a tiny-world seed judge in the benchmark's two phases.
 *
 * @example
 * ```ts
 * const { lm } = await trainTinySeed({ phase1Steps: 200, phase2Steps: 100 });
 * const [j] = await selfTaughtJudge(lm, { template: tinyJudgeTemplate, bothOrders: false })
 *   .pairwise([{ prompt: '3+4=', responseA: '7', responseB: '8' }]);
 * ```
 */
export async function trainTinySeed(options: TinySeedOptions): Promise<TinySeed> {
  const tok = tinyTokenizer();
  const seed = options.seed ?? 1;
  const model =
    options.model ??
    new TransformerLM({
      vocabSize: tok.vocabSize,
      ...(options.architecture ?? { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64, maxSeqLen: 96 }),
      seed,
    });
  const lm = new LocalModel(model, tok, { id: 'tiny-seed' });
  const common = {
    batchSize: options.batchSize ?? 16,
    lr: options.lr ?? 1e-2,
    seed,
    progress: 'none' as const,
  };
  const runs: TrainingRun[] = [];
  runs.push(
    await sft(
      lm,
      seedCorpus({ solutions: options.solutions ?? 400, transcripts: options.transcripts ?? 1600, seed }),
      { ...common, steps: options.phase1Steps },
    ),
  );
  if ((options.phase2Steps ?? 0) > 0) {
    runs.push(
      await sft(
        lm,
        seedCorpus({ solutions: 0, transcripts: options.judgeTranscripts ?? 1600, seed: seed + 1 }),
        {
          ...common,
          steps: options.phase2Steps!,
        },
      ),
    );
  }
  return { model, lm, runs };
}
