/**
 * @lab/btx-moe: mixture-of-experts feed-forwards and Branch-Train-MiX
 * (arXiv:2403.07816), with sparse upcycling and Branch-Train-Merge as
 * special cases. The public API is exactly what this file exports.
 */
export type { ExpertWeights } from './dispatch.js';
export { denseDispatch, sparseDispatch } from './dispatch.js';
export { makeMoEFeedForward, moeFeedForwards, moeLayers } from './factory.js';
export { forwardFlopsPerToken, trainingFlopsPerToken } from './flops.js';
export { loadBalancingLoss } from './load-balancing.js';
export type { MoEOptions, MoEOptionsInput, Routing } from './moe-config.js';
export { expertsPerToken, MoEOptionsSchema, ROUTINGS } from './moe-config.js';
export type { MoEFeedForwardConfig, RoutingStats } from './moe-feed-forward.js';
export { MoEFeedForward, MoEFeedForwardConfigSchema } from './moe-feed-forward.js';
export type { ParameterCount, ParameterParts } from './parameter-count.js';
export { countParameters, moeParameterCount, transformerParameterParts } from './parameter-count.js';
export type { Gates } from './routing.js';
export { computeGates } from './routing.js';
export type { PlanOptions, RoutingPlan } from './routing-plan.js';
export { routingPlan, sparseLayoutSize } from './routing-plan.js';
// recipe
export type { BtmOptions } from './recipe/btm.js';
export { btmLogProbs, btmLoss } from './recipe/btm.js';
export type { BtxManifest } from './recipe/manifest.js';
export { configHash, readManifest, seedIdentity, weightsSha256 } from './recipe/manifest.js';
export type { FinetuneOptions, MixOptions, TrainExpertOptions, UpcycleOptions } from './recipe/steps.js';
export { branch, finetune, mix, trainExpert, upcycle } from './recipe/steps.js';
export type { StageOptions, StageResult } from './recipe/train-stage.js';
export { stageParameters, trainStage } from './recipe/train-stage.js';
export type { DomainEval, EvalOptions } from './evaluate.js';
export { btmEvaluate, evaluateDomain } from './evaluate.js';
export { runCli } from './cli-main.js';
// synthetic domains
export { BOS_ID, CHAR_VOCAB_SIZE, decodeChars, EOS_ID, encodeChars, PAD_ID } from './domains/char-vocab.js';
export type { ArithProblem, Attribute, Domain, DomainName, Entity, Split } from './domains/domains.js';
export {
  arithHeldoutProblems,
  DOMAINS,
  documents,
  splitOf,
  wikiProbes,
  wikiWorld,
} from './domains/domains.js';
export { arithExactMatch, codeBracketAccuracy, wikiAccuracy } from './domains/metrics.js';
export { lmBatches, packWindows } from './domains/windows.js';
export type { DemoOptions, DemoResult } from './demo.js';
export { btxDemo } from './demo.js';
