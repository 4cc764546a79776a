/**
 * The options of an MoE feed-forward, as they appear in a TransformerLM
 * config (`feedForward: { kind: 'moe', numExperts: 4, ... }`) and so in a
 * checkpoint's config.json. Plain data, validated by zod.
 */
import { z } from 'zod';

export const ROUTINGS = ['top2', 'topk', 'switch', 'sampleTop1', 'soft'] as const;
export type Routing = (typeof ROUTINGS)[number];

export const MoEOptionsSchema = z.strictObject({
  kind: z.literal('moe').default('moe'),
  /** E, experts per layer. */
  numExperts: z.number().int().min(1),
  /**
   * top2 (default; gates are the softmax over the two selected logits),
   * topk (same with `topK`), switch (k 1, gate = the chosen expert's full
   * softmax probability), sampleTop1 (train: sample from softmax; eval:
   * argmax; gate as switch), soft (every expert, weighted by softmax).
   */
  routing: z.enum(ROUTINGS).default('top2'),
  /** k for routing 'topk'. */
  topK: z.number().int().min(1).optional(),
  activation: z.enum(['gelu', 'swiglu']).default('gelu'),
  /**
   * dense: every expert on every token, weighted by the (mostly zero) gates
   * (two rank-2 matmuls; fastest for small E). sparse: (token, slot) pairs
   * grouped by expert into tiles, cost proportional to k. auto: sparse when
   * E > 4 and k < E.
   */
  dispatch: z.enum(['dense', 'sparse', 'auto']).default('auto'),
  /** Rows per tile of the sparse path (each tile belongs to one expert). */
  tileSize: z.number().int().min(1).default(32),
  /** Weight α of the Switch load-balancing loss (0 = off). */
  lbAlpha: z.number().min(0).default(0.01),
  routerInit: z.enum(['normal(0.02)', 'zeros']).default('normal(0.02)'),
});
export type MoEOptions = z.infer<typeof MoEOptionsSchema>;
export type MoEOptionsInput = z.input<typeof MoEOptionsSchema>;

/** Experts each token uses: k. */
export function expertsPerToken(options: Pick<MoEOptions, 'routing' | 'topK' | 'numExperts'>): number {
  switch (options.routing) {
    case 'top2':
      return Math.min(2, options.numExperts);
    case 'topk':
      return Math.min(options.topK ?? 2, options.numExperts);
    case 'switch':
    case 'sampleTop1':
      return 1;
    case 'soft':
      return options.numExperts;
  }
}
