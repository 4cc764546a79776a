/**
 * saveModel / loadModel: a TransformerLM (config, weights, tokenizer) as a
 * checkpoint folder. Loading rebuilds the model from config.json with the
 * caller's plug-in factories (a CoPE position encoding, an MoE feed-forward)
 * and copies the stored weights in, so the round trip is exact.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import { TransformerConfigSchema } from '../model/transformer-config.js';
import { TransformerLM, type TransformerLMOptions } from '../model/transformer-lm.js';
import type { Tokenizer } from '../tokenizers/types.js';
import { loadCheckpoint, type SaveCheckpointOptions, saveCheckpoint, WEIGHTS_FILE } from './checkpoint.js';

export interface SaveModelOptions extends SaveCheckpointOptions {
  tokenizer?: Tokenizer | null;
  metadata?: Record<string, string>;
}

export interface LoadModelOptions extends TransformerLMOptions {
  /** Read tokenizer.json when present. Default true. */
  tokenizer?: boolean;
}

export interface LoadedModel {
  model: TransformerLM;
  tokenizer: Tokenizer | null;
  metadata: Record<string, string>;
}

/**
 * Saves a model's config and weights (and a tokenizer) to folder `dir`, atomically.
 *
 * @example
 * await saveModel('runs/char-lm', model, { tokenizer, metadata: { step: String(step) } });
 */
export async function saveModel(
  dir: string,
  model: TransformerLM,
  options: SaveModelOptions = {},
): Promise<void> {
  await saveCheckpoint(
    dir,
    {
      config: model.config,
      stateDict: model.stateDict(),
      tokenizer: options.tokenizer,
      metadata: options.metadata,
    },
    { floatDtype: options.floatDtype },
  );
}

/**
 * Rebuilds a TransformerLM from a folder written by saveModel. Pass the same
 * plug-in factories (`positionEncodings`, `feedForwards`) the model was built
 * with. Missing, extra or mis-shaped tensors are errors (STATE_DICT_*) that
 * name the file. The model comes back in training mode, like a new one.
 *
 * @example
 * const { model, tokenizer } = await loadModel('runs/char-lm');
 * model.eval();
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { tokenizer: readTokenizer, ...modelOptions } = options;
  const ckpt = await loadCheckpoint(dir, TransformerConfigSchema, { tokenizer: readTokenizer });
  let model: TransformerLM | undefined;
  try {
    model = new TransformerLM(ckpt.config, modelOptions);
    model.loadStateDict(ckpt.stateDict);
  } catch (err) {
    model?.dispose();
    ckpt.tokenizer?.dispose();
    if (err instanceof LabError && err.code.startsWith('STATE_DICT')) {
      const file = `${ckpt.dir}/${WEIGHTS_FILE}`;
      throw new LabError(err.code, `${file}: ${err.message}`, { ...err.context, file }, { cause: err });
    }
    throw err;
  } finally {
    tf.dispose(Object.values(ckpt.stateDict));
  }
  return { model, tokenizer: ckpt.tokenizer, metadata: ckpt.metadata };
}
