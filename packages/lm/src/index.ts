/**
 * @lab/lm: one LanguageModel interface over local transformers and
 * OpenAI-compatible servers. The public API is exactly what this file exports.
 */

// cache
export type { CacheStats } from './cached-model.js';
export { CachedModel, canonicalJson, sampleKey } from './cached-model.js';
// chat templates, formats
export type { ChatTemplate } from './chat-template.js';
export { chatMLTemplate, plainChatTemplate } from './chat-template.js';
export type { DpoOptions, PreferenceMetrics } from './dpo.js';
export { DpoLossConfigSchema, dpo, preferenceMetrics } from './dpo.js';
export type { PreferencePair, SftExample } from './formats.js';
export {
  PreferencePairSchema,
  readPreferenceJsonl,
  readSftJsonl,
  SftExampleSchema,
  toConversational,
  toStandard,
  writePreferenceJsonl,
  writeSftJsonl,
} from './formats.js';
export type {
  Judge,
  LMJudgeConfigInput,
  PairwiseInput,
  PairwiseJudgment,
  PairwiseSample,
  PairwiseTemplate,
  PointwiseInput,
  PointwiseJudgment,
  PointwiseTemplate,
} from './judge.js';
export {
  defaultPairwiseTemplate,
  defaultPointwiseTemplate,
  LMJudge,
  LMJudgeConfigSchema,
  majorityVerdict,
} from './judge.js';
// judge
export type { ParseScoreOptions, Verdict } from './judge-parsers.js';
export { parseScore, parseVerdict } from './judge-parsers.js';
// local models
export type { LocalModelOptions } from './local-model.js';
export { LocalModel } from './local-model.js';
export type {
  ClientStats,
  OpenAICompatibleConfig,
  OpenAICompatibleConfigInput,
} from './openai-compatible-model.js';
export { OpenAICompatibleConfigSchema, OpenAICompatibleModel } from './openai-compatible-model.js';
// pipelines
export type { StageFailure, StageOptions, StageProgress, StageRecord, StageResult } from './pipeline.js';
export { readStage, runStage } from './pipeline.js';
export type { BackoffOptions } from './retry.js';
export { backoffDelay, retryAfterMs } from './retry.js';
// providers
export type { ScriptedModelOptions, ScriptRule } from './scripted-model.js';
export { lastUserText, ScriptedModel } from './scripted-model.js';
// server
export type { OpenAIServer, ServeIntercept, ServeOpenAIOptionsInput } from './serve-openai.js';
export { ServeOpenAIOptionsSchema, serveOpenAI } from './serve-openai.js';
export type { SftOptions } from './sft.js';
export { completionLoss, sft } from './sft.js';
// training local models
export type { EncodedRow, TrainingOptionsInput, TrainingRun } from './train-data.js';
export { TrainingOptionsSchema } from './train-data.js';
// interface and schemas
export type {
  ChatMessage,
  ContentPart,
  ContinuationLogProbs,
  FinishReason,
  GenerateOptions,
  GenerateRequest,
  GenerateRequestInput,
  GenerateResult,
  LanguageModel,
  Sample,
  TokenLogprob,
} from './types.js';
export {
  ChatMessageSchema,
  ContentPartSchema,
  FinishReasonSchema,
  GenerateRequestSchema,
  GenerateResultSchema,
  generateOne,
  ImagePartSchema,
  messageText,
  parseRequests,
  SampleSchema,
  TextPartSchema,
  TokenLogprobSchema,
} from './types.js';
