/**
 * Checkpoint folders: `config.json` (validated by a zod schema on load),
 * `model.safetensors` (the state dict, readable by PyTorch and every
 * safetensors tool) and, optionally, `tokenizer.json`. A folder is written
 * beside its destination and renamed into place (atomic.ts), so a crash
 * while saving leaves the previous checkpoint intact.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LabError } from '../errors.js';
import { tokenizerFromJSON } from '../tokenizers/tokenizer-from-json.js';
import type { Tokenizer } from '../tokenizers/types.js';
import { resolveAtomicDir, writeDirAtomic, writeFileSynced } from './atomic.js';
import { readSafetensors } from './safetensors.js';
import { encodeSafetensors } from './safetensors-write.js';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const TOKENIZER_FILE = 'tokenizer.json';
/** Stored in the safetensors metadata so that a reader can tell what wrote the file. */
export const CHECKPOINT_FORMAT = 'lab-checkpoint-1';

export interface CheckpointContents<C> {
  /** Plain JSON data (written as config.json). */
  config: C;
  /** Tensors by name (float32, int32 or bool). Not disposed by saving. */
  stateDict: Record<string, tf.Tensor>;
  tokenizer?: Tokenizer | null;
  /** Strings stored in the safetensors `__metadata__` (step, loss, git hash...). */
  metadata?: Record<string, string>;
}

export interface SaveCheckpointOptions {
  /** Storage dtype of float32 tensors. Default 'F32', which round-trips exactly. */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

export interface LoadCheckpointOptions {
  /** Read tokenizer.json when present. Default true. */
  tokenizer?: boolean;
}

export interface LoadedCheckpoint<C> {
  config: C;
  /** The caller owns these tensors and disposes them. */
  stateDict: Record<string, tf.Tensor>;
  tokenizer: Tokenizer | null;
  /** The safetensors metadata, without the format marker. */
  metadata: Record<string, string>;
  /** The folder actually read (`<dir>.prev` if a save was interrupted mid-swap). */
  dir: string;
}

function configText(config: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(config, null, 2);
  } catch (err) {
    throw new LabError(
      'CHECKPOINT_CONFIG',
      `config is not JSON-serialisable: ${(err as Error).message}`,
      {},
      {
        cause: err,
      },
    );
  }
  if (text === undefined || typeof config !== 'object' || config === null) {
    throw new LabError('CHECKPOINT_CONFIG', 'config must be a JSON object', {});
  }
  return `${text}\n`;
}

/**
 * Writes a checkpoint folder atomically (an existing folder at `dir` is
 * replaced only once the new one is complete).
 *
 * @example
 * await saveCheckpoint('runs/a/step-1000', { config, stateDict: model.stateDict(), tokenizer, metadata: { step: '1000' } });
 */
export async function saveCheckpoint<C>(
  dir: string,
  contents: CheckpointContents<C>,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const config = configText(contents.config);
  for (const key of Object.keys(contents.metadata ?? {})) {
    if (key === 'format') {
      throw new LabError(
        'CHECKPOINT_METADATA',
        'metadata key "format" is reserved for the checkpoint format',
        { key },
      );
    }
  }
  // Encode before touching the disk: a bad tensor fails here with nothing written.
  const weights = encodeSafetensors(contents.stateDict, {
    metadata: { format: CHECKPOINT_FORMAT, ...contents.metadata },
    floatDtype: options.floatDtype,
  });
  const tokenizer = contents.tokenizer ? `${JSON.stringify(contents.tokenizer.toJSON())}\n` : null;
  await writeDirAtomic(dir, async (tmp) => {
    await writeFileSynced(join(tmp, CONFIG_FILE), config);
    await writeFileSynced(join(tmp, WEIGHTS_FILE), weights);
    if (tokenizer !== null) await writeFileSynced(join(tmp, TOKENIZER_FILE), tokenizer);
  });
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LabError(
      'FILE_READ',
      `cannot read ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
}

/**
 * Reads a checkpoint folder; config.json is parsed with `schema`.
 *
 * @example
 * const ckpt = await loadCheckpoint('runs/a/step-1000', MyConfigSchema);
 * try { model.loadStateDict(ckpt.stateDict); } finally { tf.dispose(Object.values(ckpt.stateDict)); }
 */
export async function loadCheckpoint<S extends z.ZodType>(
  dir: string,
  schema: S,
  options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint<z.output<S>>> {
  const actual = await resolveAtomicDir(dir);
  try {
    if (!(await stat(actual)).isDirectory()) {
      throw new LabError('CHECKPOINT_NOT_FOUND', `${dir} is not a checkpoint folder`, { file: dir });
    }
  } catch (err) {
    if (err instanceof LabError) throw err;
    throw new LabError('CHECKPOINT_NOT_FOUND', `no checkpoint at ${dir}`, { file: dir }, { cause: err });
  }
  const configFile = join(actual, CONFIG_FILE);
  const text = await readText(configFile);
  if (text === null) {
    throw new LabError('CHECKPOINT_NOT_FOUND', `${configFile} is missing`, { file: configFile });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LabError('CHECKPOINT_CONFIG', `${configFile} is not valid JSON: ${(err as Error).message}`, {
      file: configFile,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new LabError(
      'CHECKPOINT_CONFIG',
      `${configFile} does not match the config schema:\n${z.prettifyError(parsed.error)}`,
      {
        file: configFile,
        issues: parsed.error.issues,
      },
    );
  }

  let tokenizer: Tokenizer | null = null;
  if (options.tokenizer ?? true) {
    const tokFile = join(actual, TOKENIZER_FILE);
    const tokText = await readText(tokFile);
    if (tokText !== null) {
      try {
        tokenizer = await tokenizerFromJSON(JSON.parse(tokText));
      } catch (err) {
        const e = err instanceof LabError ? err : null;
        throw new LabError(
          e?.code ?? 'TOKENIZER_JSON',
          `${tokFile}: ${(err as Error).message}`,
          {
            ...e?.context,
            file: tokFile,
          },
          { cause: err },
        );
      }
    }
  }

  const weightsFile = join(actual, WEIGHTS_FILE);
  try {
    await stat(weightsFile);
  } catch {
    tokenizer?.dispose();
    throw new LabError('CHECKPOINT_NOT_FOUND', `${weightsFile} is missing`, { file: weightsFile });
  }
  let loaded: Awaited<ReturnType<typeof readSafetensors>>;
  try {
    loaded = await readSafetensors(weightsFile);
  } catch (err) {
    tokenizer?.dispose();
    throw err;
  }
  const { format: _format, ...metadata } = loaded.metadata;
  return { config: parsed.data, stateDict: loaded.tensors, tokenizer, metadata, dir: actual };
}
