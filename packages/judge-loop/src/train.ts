/**
 * Training an iteration's judge. The loop hands each iteration's data to a
 * `TrainHook` and continues with the LanguageModel it returns, so the same
 * driver trains a local TransformerLM here (`localTrainer`) or hands the
 * exported JSONL to TRL / OpenRLHF and continues with the endpoint that
 * serves the new checkpoint (`externalTrainer`).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError, loadModel, saveModel, TransformerLM } from '@lab/core';
import {
  dpo,
  type LanguageModel,
  LocalModel,
  type LocalModelOptions,
  type OpenAICompatibleConfigInput,
  OpenAICompatibleModel,
  sft,
  toConversational,
  writePreferenceJsonl,
  writeSftJsonl,
} from '@lab/lm';
import type { DpoRecord, SftRecord } from './records.js';

/** What one iteration asks its trainer to do. */
export interface TrainingJob {
  iteration: number;
  method: 'sft' | 'dpo';
  /** Rejection-sampled judgments (always present; the SFT data). */
  sft: SftRecord[];
  /** Preference pairs of judgments (DPO iterations). */
  dpo: DpoRecord[];
  /** The same data exported for external trainers (TRL / OpenRLHF JSONL). */
  files: { sft: string; dpo: string | null };
  /** This iteration's folder (for checkpoints). */
  dir: string;
  /** M_{i−1}: the judge that wrote this iteration's judgments. */
  previous: LanguageModel;
}

/** Trains M_i and returns it (any LanguageModel: local, or a server's endpoint). */
export type TrainHook = (job: TrainingJob) => Promise<LanguageModel>;

// ---------------------------------------------------------------- exports

export interface ExportOptions {
  /** `standard` (strings; chat prompts stay message lists) or `conversational` (messages). Default standard. */
  form?: 'standard' | 'conversational';
}

/**
 * Writes SFT records as JSONL for TRL `SFTTrainer` (prompt-completion,
 * completion-only loss) or OpenRLHF `train_sft --input_key prompt --output_key completion`.
 * A chat prompt makes the record conversational (TRL rejects mixed forms).
 *
 * @example
 * ```ts
 * await exportSft('run/iter-1/sft.jsonl', sftRecords);
 * ```
 */
export async function exportSft(
  path: string,
  records: readonly SftRecord[],
  options: ExportOptions = {},
): Promise<void> {
  await writeSftJsonl(
    path,
    records.map((r) =>
      typeof r.prompt !== 'string' || options.form === 'conversational' ? toConversational(r) : r,
    ),
  );
}

/**
 * Writes DPO records as JSONL for TRL `DPOTrainer` (`rpo_alpha` = the NLL
 * weight) or OpenRLHF `train_dpo` (`--nll_loss_coef`); chosen and rejected are judgment texts.
 *
 * @example
 * ```ts
 * await exportDpo('run/iter-2/dpo.jsonl', dpoRecords);
 * ```
 */
export async function exportDpo(
  path: string,
  records: readonly DpoRecord[],
  options: ExportOptions = {},
): Promise<void> {
  await writePreferenceJsonl(
    path,
    records.map((r) =>
      typeof r.prompt !== 'string' || options.form === 'conversational' ? toConversational(r) : r,
    ),
  );
}

// ---------------------------------------------------------------- local

export interface LocalTrainerOptions {
  /** The seed M0. Never modified: each SFT iteration trains a weight copy of it. */
  seed: LocalModel;
  /** Restart each SFT iteration from M0 (paper, #21), or continue from M_{i−1} (ablation). Default true. */
  restartFromSeed?: boolean;
  /** SFT settings. Default lr 3e-4, 2 epochs, batch 16. */
  sft?: { lr?: number; epochs?: number; batchSize?: number; weightDecay?: number; seed?: number };
  /** DPO+NLL settings (reference = M_{i−1}). Default β 0.1, λ 1.5, lr 1e-4, 2 epochs, batch 8. */
  dpo?: {
    beta?: number;
    nllWeight?: number;
    lr?: number;
    epochs?: number;
    batchSize?: number;
    seed?: number;
  };
  /** When an iteration selected no records: throw (default) or keep M_{i−1} as M_i. */
  ifNoData?: 'error' | 'keep-previous';
  /** Save M_i to `<dir>/model` and, on a rerun, load it instead of training again. Default true. */
  checkpoint?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

/** A weight copy of a LocalModel's TransformerLM, with the same tokenizer and template. */
export function cloneLocalModel(local: LocalModel, options: LocalModelOptions = {}): LocalModel {
  if (!(local.model instanceof TransformerLM)) {
    throw new LabError('JUDGE_LOOP_INVALID_CONFIG', 'cloneLocalModel needs a TransformerLM', {});
  }
  const copy = new TransformerLM(local.model.config);
  copy.loadStateDict(local.model.stateDict());
  return new LocalModel(copy, local.tokenizer, {
    id: options.id ?? local.id,
    template: options.template ?? local.template,
    addBos: local.addBos,
    stopTokens: local.stopTokens,
    maxBatchRows: local.maxBatchRows,
  });
}

function asLocal(model: LanguageModel, what: string): LocalModel {
  if (!(model instanceof LocalModel)) {
    throw new LabError('JUDGE_LOOP_INVALID_CONFIG', `localTrainer: ${what} must be a LocalModel`, {});
  }
  return model;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Trains each iteration's judge in-process: SFT restarting from M0 (or from
 * M_{i−1}), or DPO+NLL from M_{i−1} with M_{i−1} as the frozen reference.
 * The model it returned for the previous iteration is disposed once the next
 * one exists (the driver never uses it again).
 *
 * @example
 * ```ts
 * const train = localTrainer({ seed: new LocalModel((await loadModel('runs/seed')).model, tokenizer) });
 * ```
 */
export function localTrainer(options: LocalTrainerOptions): TrainHook {
  let produced: LocalModel | null = null;
  return async (job) => {
    const ckpt = join(job.dir, 'model');
    let next: LocalModel;
    const seed = options.seed;
    const id = `${seed.id}-it${job.iteration}`;
    const records = job.method === 'sft' ? job.sft.length : job.dpo.length;
    if (records === 0 && options.ifNoData === 'keep-previous') return job.previous;
    if (options.checkpoint !== false && (await exists(join(ckpt, 'config.json')))) {
      const { model } = await loadModel(ckpt, { tokenizer: false });
      next = new LocalModel(model, seed.tokenizer, {
        id,
        template: seed.template,
        addBos: seed.addBos,
        stopTokens: seed.stopTokens,
        maxBatchRows: seed.maxBatchRows,
      });
    } else if (job.method === 'sft') {
      if (job.sft.length === 0)
        throw new LabError(
          'JUDGE_LOOP_NO_DATA',
          `iteration ${job.iteration}: no SFT records to train on`,
          {},
        );
      const c = { lr: 3e-4, epochs: 2, batchSize: 16, weightDecay: 0, seed: job.iteration, ...options.sft };
      let start: LocalModel;
      if (options.restartFromSeed === false) {
        start = cloneLocalModel(asLocal(job.previous, 'the previous model'), { id });
      } else {
        start = cloneLocalModel(seed, { id });
      }
      await sft(start, job.sft, {
        steps: Math.max(1, Math.ceil((c.epochs * job.sft.length) / c.batchSize)),
        batchSize: c.batchSize,
        lr: c.lr,
        weightDecay: c.weightDecay,
        seed: c.seed,
        progress: options.progress ?? 'none',
      });
      next = start;
    } else {
      if (job.dpo.length === 0)
        throw new LabError('JUDGE_LOOP_NO_DATA', `iteration ${job.iteration}: no DPO pairs to train on`, {});
      const c = {
        beta: 0.1,
        nllWeight: 1.5,
        lr: 1e-4,
        epochs: 2,
        batchSize: 8,
        seed: job.iteration,
        ...options.dpo,
      };
      const reference = asLocal(job.previous, 'the previous model (DPO reference)');
      const policy = cloneLocalModel(reference, { id });
      await dpo(policy, reference, job.dpo, {
        beta: c.beta,
        nllWeight: c.nllWeight,
        steps: Math.max(1, Math.ceil((c.epochs * job.dpo.length) / c.batchSize)),
        batchSize: c.batchSize,
        lr: c.lr,
        seed: c.seed,
        progress: options.progress ?? 'none',
      });
      next = policy;
    }
    if (options.checkpoint !== false && !(await exists(join(ckpt, 'config.json')))) {
      await saveModel(ckpt, next.model as TransformerLM, {
        tokenizer: next.tokenizer,
        metadata: { iteration: String(job.iteration), method: job.method },
      });
    }
    // Never dispose the seed or the model the caller passed as M_{i−1} unless this trainer made it.
    if (produced !== null && produced !== next && produced !== seed)
      (produced.model as TransformerLM).dispose();
    produced = next;
    return next;
  };
}

// ---------------------------------------------------------------- external

/** What an external training step returns: where the new checkpoint is served. */
export type ExternalEndpoint = OpenAICompatibleConfigInput;

/**
 * A TrainHook for models trained elsewhere: `launch` gets the job (its
 * exported JSONL files are in `job.files`), trains with TRL / OpenRLHF /
 * anything, serves the checkpoint (vLLM, llama.cpp, Ollama) and returns the
 * endpoint; the loop continues with an OpenAICompatibleModel on it.
 *
 * @example
 * ```ts
 * const train = externalTrainer(async (job) => {
 *   await runMyTrlJob(job.files.sft, `ckpt/iter-${job.iteration}`);
 *   return { baseURL: 'http://gpu-box:8000/v1', model: `judge-iter-${job.iteration}` };
 * });
 * ```
 */
export function externalTrainer(launch: (job: TrainingJob) => Promise<ExternalEndpoint>): TrainHook {
  return async (job) => new OpenAICompatibleModel(await launch(job));
}
