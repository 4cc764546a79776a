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
export type { RegisterKernelsOptions } from './kernels/register.js';
export { transposedMatMulGradActive } from './kernels/register.js';
export type { LayerKV } from './model/kv-cache.js';
export { TransformerKVCache } from './model/kv-cache.js';
export type {
  FeedForwardConfig,
  TransformerConfig,
  TransformerConfigInput,
} from './model/transformer-config.js';
export { FeedForwardConfigSchema, TransformerConfigSchema } from './model/transformer-config.js';
export type {
  FeedForwardFactory,
  PositionEncodingFactory,
  TransformerLMOptions,
} from './model/transformer-lm.js';
export { TransformerLM } from './model/transformer-lm.js';
export { GELU_SCALE, gelu, silu } from './nn/activations.js';
export type { AttentionMask } from './nn/attention-mask.js';
export { buildAttentionMask, MASKED_SCORE } from './nn/attention-mask.js';
export type { AttentionConfig, AttentionForwardOptions, AttentionOptions } from './nn/attention.js';
export { Attention, AttentionConfigSchema } from './nn/attention.js';
export type { DropoutConfig } from './nn/dropout.js';
export { Dropout, DropoutConfigSchema } from './nn/dropout.js';
export type { EmbeddingConfig } from './nn/embedding.js';
export { Embedding, EmbeddingConfigSchema } from './nn/embedding.js';
export { normalInit } from './nn/init.js';
export type { LayerNormConfig } from './nn/layer-norm.js';
export { LayerNorm, LayerNormConfigSchema } from './nn/layer-norm.js';
export type { LinearConfig } from './nn/linear.js';
export { Linear, LinearConfigSchema } from './nn/linear.js';
export type { MLPConfig } from './nn/mlp.js';
export { MLP, MLPConfigSchema } from './nn/mlp.js';
export type { RMSNormConfig } from './nn/rms-norm.js';
export { RMSNorm, RMSNormConfigSchema } from './nn/rms-norm.js';
export type {
  TransformerBlockConfig,
  TransformerBlockOptions,
  TransformerBlockOutput,
} from './nn/transformer-block.js';
export { TransformerBlock, TransformerBlockConfigSchema } from './nn/transformer-block.js';
export type { LearnedAbsolutePositionOptions } from './position/absolute.js';
export { LearnedAbsolutePosition } from './position/absolute.js';
export type { CorePositionConfig, PluginConfig, PositionConfig } from './position/config.js';
export { CORE_POSITION_KINDS, PositionConfigSchema } from './position/config.js';
export type { LearnedRelativePositionOptions } from './position/relative.js';
export { LearnedRelativePosition } from './position/relative.js';
export type { RotaryPositionOptions } from './position/rope.js';
export { RotaryPosition } from './position/rope.js';

// ---- training (section: train) ----
export type { AdamWConfig, ApplyGradientsOptions, Gradients, ParameterList } from './train/adamw.js';
export { AdamW, AdamWConfigSchema } from './train/adamw.js';
export { clipByGlobalNorm, clipCoefficient, globalNorm } from './train/clip.js';
export { maskedCrossEntropy } from './train/cross-entropy.js';
export type { LMBatch } from './train/lm-loss.js';
export { nextTokenLoss } from './train/lm-loss.js';
export type { ProgressMode } from './train/progress.js';
export type { LearningRateSchedule, WarmupCosineConfig } from './train/schedule.js';
export { constantSchedule, WarmupCosineConfigSchema, warmupCosineSchedule } from './train/schedule.js';
export type {
  Metrics,
  StepInfo,
  TrainCallbacks,
  TrainConfig,
  TrainOptions,
  TrainResult,
} from './train/train.js';
export { TrainConfigSchema, train } from './train/train.js';

// ---- generation (section: generate) ----
export type { AllowedTokens } from './generate/allowed-tokens.js';
export { AllowedTokensProcessor } from './generate/allowed-tokens.js';
export type {
  GenerateConfig,
  GenerateOptions,
  GenerateResult,
  GuidanceOptions,
  MultiStreamGuidanceOptions,
} from './generate/generate.js';
export { GenerateConfigSchema, generate } from './generate/generate.js';
export { ChainedGuidance, ClassifierFreeGuidance, ContrastiveDecoding } from './generate/guidance.js';
export type { SequenceLogProbs, SequenceLogProbsOptions } from './generate/log-probs.js';
export { sequenceLogProbs } from './generate/log-probs.js';
export { LogitsProcessorList } from './generate/processor-list.js';
export { RepetitionPenaltyProcessor } from './generate/repetition-penalty.js';
export { argmaxRow, sampleRow } from './generate/sampling.js';
export { TemperatureProcessor } from './generate/temperature.js';
export { TopKProcessor } from './generate/top-k.js';
export { TopPProcessor } from './generate/top-p.js';
export type {
  InputIds,
  LogitsProcessor,
  LogitsProcessorFn,
  MultiStreamProcessor,
  TwoStreamProcessor,
} from './generate/types.js';

// ---- tokenizers (section: tokenizers) ----
export type { ByteTokenizerOptions } from './tokenizers/byte-tokenizer.js';
export { ByteTokenizer } from './tokenizers/byte-tokenizer.js';
export { StreamingDecoder } from './tokenizers/streaming-decoder.js';
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
export { writeDirAtomic, writeFileAtomic } from './io/atomic.js';
export type {
  CheckpointContents,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
} from './io/checkpoint.js';
export {
  CHECKPOINT_FORMAT,
  CONFIG_FILE,
  loadCheckpoint,
  saveCheckpoint,
  TOKENIZER_FILE,
  WEIGHTS_FILE,
} from './io/checkpoint.js';
export type { LoadedModel, LoadModelOptions, SaveModelOptions } from './io/model-checkpoint.js';
export { loadModel, saveModel } from './io/model-checkpoint.js';
export type {
  DecodedTensor,
  EncodeSafetensorsOptions,
  LoadedSafetensors,
  RawTensor,
} from './io/safetensors.js';
export {
  decodeSafetensors,
  decodeTensorBytes,
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
} from './io/safetensors.js';
export type { SafetensorsDtype, SafetensorsEntry, SafetensorsHeader } from './io/safetensors-header.js';
export { MAX_HEADER_BYTES, SAFETENSORS_DTYPES } from './io/safetensors-header.js';
export { encodeSafetensors, writeSafetensors } from './io/safetensors-write.js';
// ---- data: JSONL, RNG, batching (section: data) ----
export type { PaddedBatch, PadOptions } from './data/batch.js';
export { padBatch, padSequences, toLMBatch } from './data/batch.js';
export type { EpochBatch, EpochBatchesOptions } from './data/epochs.js';
export { epochBatches, epochOrder } from './data/epochs.js';
export type { JsonlRecord, ReadJsonlOptions } from './data/jsonl.js';
export { readJsonl, readJsonlAll, readJsonlRecords, writeJsonl } from './data/jsonl.js';
export type { RngSeed, RngState } from './data/rng.js';
export { Rng } from './data/rng.js';
