/**
 * @lab/cope: Contextual Position Encoding for @lab/core's TransformerLM, and
 * the synthetic tasks on which it differs from the usual encodings.
 * The public API is exactly what this file exports.
 */
export type { CopeConfig, CopeConfigInput, CopeGate, CopeOptions } from './cope.js';
export { CoPE, CopeConfigSchema, CopeGateSchema } from './cope.js';
export type { CopePositionConfig, CopePositionConfigInput } from './cope-factory.js';
export { CopePositionConfigSchema, copeFactory } from './cope-factory.js';
export { contextualPositions, integerPositionLogits, interpolatedPositionLogits } from './cope-ops.js';
// synthetic tasks
export type { CountingConfig, CountingSample } from './tasks/counting.js';
export {
  CountingConfigSchema,
  countingVocabulary,
  generateCounting,
  simulateCounting,
} from './tasks/counting.js';
export type { FlipFlopConfig } from './tasks/flip-flop.js';
export {
  FLIP_FLOP_SPLITS,
  FlipFlopConfigSchema,
  flipFlopVocabulary,
  generateFlipFlop,
  simulateFlipFlop,
} from './tasks/flip-flop.js';
export type { SelectiveCopyConfig } from './tasks/selective-copy.js';
export {
  BLANK,
  generateSelectiveCopy,
  SELECTIVE_COPY_SPLITS,
  SEPARATOR,
  SelectiveCopyConfigSchema,
  selectiveCopyVocabulary,
} from './tasks/selective-copy.js';
export type { EncodedBatch, TaskSample } from './tasks/vocabulary.js';
export { encodeBatch, TaskVocabulary } from './tasks/vocabulary.js';
