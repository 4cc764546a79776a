/**
 * A token-routed mixture-of-experts feed-forward, core's FeedForward plug-in
 * (BTX, arXiv:2403.07816 §2.3; Switch Transformer, arXiv:2101.03961). Each
 * token goes to k of E expert FFNs chosen by a linear router; the layer
 * returns the weighted load-balancing loss as its auxLoss, which
 * TransformerLM sums over layers and nextTokenLoss adds to the objective.
 *
 * Parameters (names are stable: checkpoints and the mix rely on them):
 *   router.weight [dModel, E]   (Linear layout [in, out], no bias)
 *   w1 [E, dModel, hidden], b1 [E, hidden]   hidden = dFF, or 2·dFF for SwiGLU (gate | up, as core's MLP.fc)
 *   w2 [E, dFF, dModel],   b2 [E, dModel]
 * Expert e's slices are exactly core MLP's fc.weight, fc.bias, proj.weight, proj.bias.
 */

import type { FeedForward, FeedForwardOutput } from '@lab/core';
import { LabError, Linear, Module, normalInit, tf } from '@lab/core';
import { z } from 'zod';
import { denseDispatch, type ExpertWeights, sparseDispatch } from './dispatch.js';
import { loadBalancingLoss } from './load-balancing.js';
import { expertsPerToken, MoEOptionsSchema } from './moe-config.js';
import { computeGates } from './routing.js';
import { routingPlan } from './routing-plan.js';

export const MoEFeedForwardConfigSchema = MoEOptionsSchema.omit({ kind: true }).extend({
  dModel: z.number().int().positive(),
  dFF: z.number().int().positive(),
  bias: z.boolean().default(true),
  initStd: z.number().nonnegative().default(0.02),
  /** Init std of w2 (GPT-2 scales it by 1/sqrt(2·nLayers)). Default: initStd. */
  outInitStd: z.number().nonnegative().optional(),
  seed: z.number().int().default(0),
});
export type MoEFeedForwardConfig = z.infer<typeof MoEFeedForwardConfigSchema>;

/** Routing counts of the last forward pass of one layer. */
export interface RoutingStats {
  /** Tokens routed (M). */
  tokens: number;
  /** Slots per token (k). */
  k: number;
  /** Slots that picked each expert; sums to tokens·k. */
  slotsPerExpert: number[];
  /** slotsPerExpert / (tokens·k). */
  shares: number[];
  /** Mean router probability per expert. */
  meanProb: number[];
}

function mixSeed(seed: number, tag: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + tag * 0x27d4eb2f) >>> 1;
}

/**
 * @example
 * const moe = new MoEFeedForward({ dModel: 64, dFF: 256, numExperts: 4 }); // top-2, α 0.01
 * const { output, auxLoss } = moe.forward(x); // x, output: [batch, seq, 64]
 * moe.routingStats(); // { shares: [...], ... } (reads the last pass's counts)
 */
export class MoEFeedForward extends Module implements FeedForward {
  readonly kind = 'moe';
  readonly config: MoEFeedForwardConfig;
  readonly router: Linear;
  readonly w1: tf.Variable;
  readonly b1: tf.Variable | null;
  readonly w2: tf.Variable;
  readonly b2: tf.Variable | null;
  /** k: experts per token. */
  readonly k: number;
  /** [2, E]: slot counts and summed router probabilities of the last pass, plus M. Replaced each pass. */
  private stats: { counts: tf.Tensor; tokens: number } | null = null;
  private calls = 0;

  constructor(config: z.input<typeof MoEFeedForwardConfigSchema>) {
    super();
    const parsed = MoEFeedForwardConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new LabError('MOE_CONFIG', `invalid MoE feed-forward config: ${z.prettifyError(parsed.error)}`, {
        issues: parsed.error.issues,
      });
    }
    const c = parsed.data;
    if (c.routing === 'topk' && c.topK === undefined) {
      throw new LabError('MOE_CONFIG', 'routing "topk" needs topK', { routing: c.routing });
    }
    this.config = c;
    this.k = expertsPerToken(c);
    const { dModel, dFF, numExperts: e, initStd, seed } = c;
    const hidden = c.activation === 'swiglu' ? 2 * dFF : dFF;
    this.router = this.addModule(
      'router',
      new Linear({
        inFeatures: dModel,
        outFeatures: e,
        bias: false,
        initStd: c.routerInit === 'zeros' ? 0 : 0.02,
        seed: mixSeed(seed, 1),
      }),
    );
    this.w1 = this.addParameter('w1', normalInit([e, dModel, hidden], initStd, mixSeed(seed, 2)));
    this.b1 = c.bias ? this.addParameter('b1', tf.zeros([e, hidden])) : null;
    this.w2 = this.addParameter(
      'w2',
      normalInit([e, dFF, dModel], c.outInitStd ?? initStd, mixSeed(seed, 3)),
    );
    this.b2 = c.bias ? this.addParameter('b2', tf.zeros([e, dModel])) : null;
  }

  get numExperts(): number {
    return this.config.numExperts;
  }

  /** The dispatch path this layer uses. */
  get dispatch(): 'dense' | 'sparse' {
    const d = this.config.dispatch;
    if (d !== 'auto') return d;
    return this.numExperts > 4 && this.k < this.numExperts ? 'sparse' : 'dense';
  }

  private weights(): ExpertWeights {
    return {
      w1: this.w1 as tf.Tensor3D,
      b1: this.b1 as tf.Tensor2D | null,
      w2: this.w2 as tf.Tensor3D,
      b2: this.b2 as tf.Tensor2D | null,
      activation: this.config.activation,
    };
  }

  /** x: [batch, seq, dModel]. */
  forward(x: tf.Tensor3D, options: { dispatch?: 'dense' | 'sparse' } = {}): FeedForwardOutput {
    const [batch, seq, dModel] = x.shape;
    const m = batch * seq;
    const dispatch = options.dispatch ?? this.dispatch;
    const sampleSeed = mixSeed(this.config.seed, 1000 + this.calls++);
    return tf.tidy(() => {
      const flat = tf.reshape(x, [m, dModel]) as tf.Tensor2D; // [M, d]
      const logits = this.router.forward(flat); // [M, E]
      const plan = routingPlan(logits, {
        routing: this.config.routing,
        k: this.k,
        training: this.training,
        sampleSeed,
        tileSize: dispatch === 'sparse' ? this.config.tileSize : null,
      });
      const g = computeGates(logits, plan.indices, this.config.routing);
      const y =
        dispatch === 'sparse'
          ? sparseDispatch(flat, plan.sparse!, g.slotGates, this.weights())
          : denseDispatch(flat, g.gates, this.weights()); // [M, d]
      const counts = tf.sum(g.selected, 0) as tf.Tensor1D; // [E] slots per expert (constant)
      const meanProb = tf.mean(g.probs, 0) as tf.Tensor1D; // [E]
      this.keepStats(tf.stack([counts, meanProb]), m);
      const output = tf.reshape(y, [batch, seq, dModel]) as tf.Tensor3D;
      if (this.config.lbAlpha === 0) return { output };
      const share = tf.div(counts, m * this.k) as tf.Tensor1D; // u [E]
      return { output, auxLoss: loadBalancingLoss(share, meanProb, this.config.lbAlpha) };
    });
  }

  private keepStats(t: tf.Tensor, tokens: number): void {
    this.stats?.counts.dispose();
    this.stats = { counts: tf.keep(t), tokens };
  }

  /**
   * Routing counts of the last forward pass (reads one [2, E] tensor: a sync,
   * so call it outside the training step). Null before the first pass.
   */
  routingStats(): RoutingStats | null {
    if (!this.stats || this.stats.counts.isDisposed) return null;
    const v = this.stats.counts.dataSync();
    const e = this.numExperts;
    const slots = Array.from(v.subarray(0, e));
    const total = this.stats.tokens * this.k;
    return {
      tokens: this.stats.tokens,
      k: this.k,
      slotsPerExpert: slots,
      shares: slots.map((n) => n / total),
      meanProb: Array.from(v.subarray(e, 2 * e)),
    };
  }

  override dispose(): void {
    this.stats?.counts.dispose();
    this.stats = null;
    super.dispose();
  }
}
