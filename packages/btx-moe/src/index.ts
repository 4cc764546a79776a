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
