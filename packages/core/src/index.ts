/**
 * @lab/core: the tensor substrate of the @lab method packages.
 * The public API is exactly what this file exports.
 */
export * as tf from '@tensorflow/tfjs-core';
export type { BackendInfo, BackendName, InitBackendOptions } from './backend/backend.js';

// backend
export { backendInfo, DEFAULT_BACKEND_ORDER, initBackend } from './backend/backend.js';
export type { AcceleratorStatus } from './backend/native.js';
export { formatShape, LabError } from './errors.js';
// model contract
export type { CausalLM, ForwardOptions, ForwardOutput, KVCache } from './model/types.js';
export type { FeedForward, FeedForwardOutput } from './nn/feed-forward-types.js';
export type { LoadStateDictOptions, StateDict } from './nn/module.js';
// nn
export { Module } from './nn/module.js';
// position encodings
export type { AttentionScoresContext, PositionEncoding } from './position/types.js';

// ---- nn modules, position encodings, transformer, kernels (section: nn) ----

// ---- training (section: train) ----

// ---- generation (section: generate) ----

// ---- tokenizers (section: tokenizers) ----
export type { ByteTokenizerOptions } from './tokenizers/byte-tokenizer.js';
export { ByteTokenizer } from './tokenizers/byte-tokenizer.js';
export type { TiktokenTokenizerOptions } from './tokenizers/tiktoken-tokenizer.js';
export { TiktokenTokenizer } from './tokenizers/tiktoken-tokenizer.js';
export { tokenizerFromJSON } from './tokenizers/tokenizer-from-json.js';
export type {
  ByteTokenizerJSON,
  SpecialTokensConfig,
  TiktokenEncodingName,
  TiktokenTokenizerJSON,
  TokenizerJSON,
  VocabTokenizerJSON,
} from './tokenizers/tokenizer-json.js';
export {
  SpecialTokensConfigSchema,
  TIKTOKEN_ENCODINGS,
  TokenizerJSONSchema,
} from './tokenizers/tokenizer-json.js';
export type {
  DecodeOptions,
  EncodeOptions,
  EncodingWithOffsets,
  SpecialTokenRole,
  Tokenizer,
} from './tokenizers/types.js';
export type { VocabFromCorpusOptions, VocabTokenizerOptions } from './tokenizers/vocab-tokenizer.js';
export { DEFAULT_WORD_PATTERN, VocabTokenizer } from './tokenizers/vocab-tokenizer.js';

// ---- checkpoints and safetensors (section: io) ----

// ---- data: JSONL, RNG, batching (section: data) ----
export type { RngSeed, RngState } from './data/rng.js';
export { Rng } from './data/rng.js';
