/**
 * @lab/coa: Chain-of-Abstraction tool use (Gao et al., arXiv:2401.17464).
 * The public API is exactly what this file exports.
 */

// training data and formats
export type { Gsm8kDropReason, RewriteStats } from './data/build-chains.js';
export { chainsFromWordProblems, fromGsm8k, rewriteGsm8k } from './data/build-chains.js';
export type { ChainRecord, ProblemRecord, TimingRecord, TraceRecord } from './data/formats.js';
export {
  ChainRecordSchema,
  ProblemRecordSchema,
  TimingRecordSchema,
  TraceRecordSchema,
} from './data/formats.js';
// inference: CoAModel, pipelined and interleaved executors, prompts
export type { CoAModelConfig, CoAQuestion, CoAResult, ExecutorRun } from './executor/coa-model.js';
export { CoAModel, CoAModelConfigSchema } from './executor/coa-model.js';
export { FEW_SHOT_EXEMPLARS, fewShotPrompt, trainingPrompt } from './executor/prompts.js';
// parsing and the dependency graph
export type { ChainGraph } from './graph.js';
export { buildGraph } from './graph.js';
export type {
  Call,
  ChainAnswer,
  FuncArg,
  MathCall,
  ParseChainOptions,
  ParsedChain,
  ParseIssue,
  ParseIssueCode,
  ToolCall,
} from './parser.js';
export { DEFAULT_ARITHMETIC_FUNCS, parseChain, placeholderRegex } from './parser.js';
// reification
export type { CallOutcome, CallStatus, PlaceholderValue, Reification, ReifyOptions } from './reify.js';
export { formatValue, reify } from './reify.js';
// tools
export type { Bm25SearchOptions, Bm25SearchTool, SearchDocument } from './tools/bm25-search.js';
export { bm25SearchTool } from './tools/bm25-search.js';
export type { EntityType, FoundEntity } from './tools/entity-picker.js';
export { ENTITY_TYPES, entityPickerTool, findEntities } from './tools/entity-picker.js';
export { equationSolverTool } from './tools/equation-solver.js';
export type { Tool, ToolContext } from './tools/types.js';
