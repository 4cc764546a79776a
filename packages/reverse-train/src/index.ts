/**
 * @lab/reverse-train: reverse training against the reversal curse
 * (Golovneva et al., arXiv:2403.13799). The public API is exactly what this
 * file exports.
 */

// entity taggers
export type { CompromiseEntityKind, CompromiseTaggerOptions, EntityTagger } from './entity-tagger.js';
export { CompromiseTagger } from './entity-tagger.js';
// task generators and leakage check
export type { BiosConfig, BiosTask, Person } from './generators/bios.js';
export { BiosConfigSchema, generateBios } from './generators/bios.js';
export type { Part } from './generators/compose.js';
export { composeDoc } from './generators/compose.js';
export type { SymbolicConfig, SymbolicPair, SymbolicTask } from './generators/symbolic.js';
export { generateSymbolic, SYMBOLIC_RELATIONS, SymbolicConfigSchema } from './generators/symbolic.js';
export type { QAItem, TaskData } from './generators/types.js';
// experiment harness (tiny core TransformerLM)
export type { ArmConfig, ArmResult, DirectionScore } from './harness.js';
export { ArmConfigSchema, answerQuestions, runArm, taskTokenizer } from './harness.js';
// mixing and JSONL streaming
export { readJsonlShards } from './jsonl.js';
export type { Leak } from './leakage.js';
export { findLeaks } from './leakage.js';
export type { DocSource, MixConfig, MixConfigInput, MixCounts, MixedSample, MixOptions } from './mixer.js';
export { countMix, MixConfigSchema, mixStream, planPasses, writeMixedJsonl } from './mixer.js';
// reversal transforms
export type { ReversalPlan } from './plan.js';
export { mapSpansThroughPlan, planReversal, validateSpans } from './plan.js';
export type { RandomContext, Reversal, ReversalInput, ReverseMode } from './reversal.js';
export { parseReversal, ReversalSchema, reversalName } from './reversal.js';
export type { Doc, DocView, ReverseDocOptions } from './reverse-doc.js';
export { DocSchema, reverseDoc } from './reverse-doc.js';
export type { ReverseIdsOptions } from './reverse-ids.js';
export { reverseIds } from './reverse-ids.js';
export type { ReversedWords, ReverseTextOptions, ReverseWordsOptions } from './reverse-text.js';
export { reverseText, reverseWords } from './reverse-text.js';
export type { GroupedIds, ReversibleTokenizer, TokenUnit } from './token-groups.js';
export { encodeWords, groupTokenIds } from './token-groups.js';
export type { Span, SplitText } from './words.js';
export { charSpansToWordSpans, normalizeSpans, splitWords } from './words.js';

// demo
export type { ReversalDemoOptions, ReversalDemoResult } from './demo.js';
export { reversalCurseDemo } from './demo.js';
