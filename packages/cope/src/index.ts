/**
 * @lab/cope: Contextual Position Encoding for @lab/core's TransformerLM, and
 * the synthetic tasks on which it differs from the usual encodings.
 * The public API is exactly what this file exports.
 */
export type { CopeConfig, CopeConfigInput, CopeGate, CopeOptions } from './cope.js';
export { CoPE, CopeConfigSchema, CopeGateSchema } from './cope.js';
export { contextualPositions, integerPositionLogits, interpolatedPositionLogits } from './cope-ops.js';
