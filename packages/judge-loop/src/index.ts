/**
 * @lab/judge-loop: the Self-Taught Evaluator (Wang et al. 2024). Grows a
 * pairwise LLM judge without human labels; the public API is exactly what
 * this file exports.
 */

// evaluation
export type { EvaluateOptions, JudgeReport, ScoreOptions, SectionedScore } from './evaluate.js';
export {
  evaluateJudge,
  REWARDBENCH_V1_SECTIONS,
  REWARDBENCH_V1_WEIGHT_SCALE,
  readRewardBench,
  scoreEvalOutputs,
  scoreVerdict,
  sectionedScore,
} from './evaluate.js';
// judge
export type { SelfTaughtJudgeOptions } from './judge.js';
export { selfTaughtJudge } from './judge.js';
// driver
export type { IterationInfo, JudgeLoopOptions, JudgeLoopResult } from './loop.js';
export { runJudgeLoop } from './loop.js';
// parsers
export type { RecordVerdict, WorseResponse, WorseResponseIssue } from './parsers.js';
export {
  parseCategory,
  parseJudgmentVerdict,
  parseWorseResponse,
  parseWorseResponseDetailed,
  recordVerdict,
} from './parsers.js';
// records
export type {
  DpoRecord,
  EvalInput,
  EvalInputRaw,
  EvalOutput,
  Instruction,
  InstructionInput,
  JudgmentRecord,
  Order,
  PairRecord,
  SftRecord,
} from './records.js';
export {
  DpoRecordSchema,
  EvalInputSchema,
  EvalOutputSchema,
  InstructionSchema,
  JudgmentRecordSchema,
  OrderSchema,
  PairRecordSchema,
  PromptSchema,
  SftRecordSchema,
  VerdictSchema,
} from './records.js';
// selection
export type { DpoDataOptions, RejectionOptions, SelectionStats } from './selection.js';
export { balanceByGold, buildDpoData, rejectionSample } from './selection.js';
// stages
export type {
  BuildPairsOptions,
  BuiltPairs,
  PairOutcome,
  SampleJudgmentsOptions,
  SamplingOptions,
  SelectedInstructions,
  SelectInstructionsOptions,
  StageCommon,
} from './stages.js';
export { buildPairs, goldOf, orderedInput, sampleJudgments, selectInstructions } from './stages.js';
// templates
export type {
  CategoryTemplate,
  JudgeLoopTemplates,
  Rendered,
  ResponseTemplate,
  WorseResponseTemplate,
} from './templates.js';
export {
  categoryTemplate,
  defaultTemplates,
  judgeTemplate,
  planTemplate,
  responseTemplate,
  WORSE_MARKERS,
  worseResponseTemplate,
} from './templates.js';
// the tiny world's seed judge
export type { TinySeed, TinySeedOptions } from './tiny-seed.js';
export { trainTinySeed } from './tiny-seed.js';
// the tiny world
export type {
  SeedCorpusOptions,
  TinyGeneratorOptions,
  TinyOp,
  TinyQuestion,
  TinySplit,
} from './tiny-world.js';
export {
  checkSolution,
  distinctQuestions,
  formatJudgment,
  formatQuestion,
  heldOutPairs,
  isCorrect,
  labelIsRight,
  modifyQuestion,
  parseQuestion,
  randomQuestion,
  seedCorpus,
  slipSolution,
  solve,
  TINY_CHARSET,
  TinyGenerator,
  tinyJudgeTemplate,
  tinyResponseTemplate,
  tinyTokenizer,
  tinyWorseTemplate,
  trueJudgment,
  verdictFromChecks,
} from './tiny-world.js';
// training
export type {
  ExportOptions,
  ExternalEndpoint,
  LocalTrainerOptions,
  TrainHook,
  TrainingJob,
} from './train.js';
export { cloneLocalModel, exportDpo, exportSft, externalTrainer, localTrainer } from './train.js';
