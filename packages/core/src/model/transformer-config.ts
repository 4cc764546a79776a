/**
 * TransformerLM's configuration: plain data (it round-trips through a
 * checkpoint's config.json), validated by zod. Plug-in position encodings
 * and feed-forwards appear here only as `{ kind, ...options }`; their code
 * is passed to the constructor.
 */
import { z } from 'zod';
import {
  type PluginConfig,
  PluginConfigSchema,
  type PositionConfig,
  PositionConfigSchema,
} from '../position/config.js';

export const MLPFeedForwardConfigSchema = z.strictObject({
  kind: z.literal('mlp'),
  activation: z.enum(['gelu', 'swiglu']).default('gelu'),
});
export const FeedForwardConfigSchema = z.union([MLPFeedForwardConfigSchema, PluginConfigSchema(['mlp'])]);
export type FeedForwardConfig = z.infer<typeof MLPFeedForwardConfigSchema> | PluginConfig;

const BaseSchema = z.strictObject({
  vocabSize: z.number().int().positive(),
  dModel: z.number().int().positive(),
  nLayers: z.number().int().positive(),
  nHeads: z.number().int().positive(),
  /** Feed-forward width. Default 4·dModel. */
  dFF: z.number().int().positive().optional(),
  /** Longest sequence, cache included. */
  maxSeqLen: z.number().int().positive(),
  /** Dropout on the embeddings, attention probabilities and residual branches. */
  dropout: z.number().min(0).lt(1).default(0),
  norm: z.enum(['layer', 'rms']).default('layer'),
  normPlacement: z.enum(['pre', 'post']).default('pre'),
  /** Output head shares the token embedding matrix (GPT-2). */
  tiedEmbeddings: z.boolean().default(true),
  /** Biases in linear layers and layer norms. */
  bias: z.boolean().default(true),
  position: PositionConfigSchema.default({ kind: 'absolute' }),
  feedForward: FeedForwardConfigSchema.default({ kind: 'mlp', activation: 'gelu' }),
  /** Seed of the weight init and dropout masks. */
  seed: z.number().int().default(0),
});

export const TransformerConfigSchema = BaseSchema.superRefine((c, ctx) => {
  if (c.dModel % c.nHeads !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['nHeads'],
      message: `dModel ${c.dModel} is not divisible by nHeads ${c.nHeads}`,
    });
  }
  if (c.position.kind === 'rope' && (c.dModel / c.nHeads) % 2 !== 0) {
    ctx.addIssue({ code: 'custom', path: ['position'], message: 'rope needs an even head dimension' });
  }
}).transform((c) => ({ ...c, dFF: c.dFF ?? 4 * c.dModel }));

/** The parsed config (defaults filled, dFF resolved). */
export type TransformerConfig = Omit<z.output<typeof TransformerConfigSchema>, 'position' | 'feedForward'> & {
  position: PositionConfig;
  feedForward: FeedForwardConfig;
};
/** What the constructor accepts (defaults optional). */
export type TransformerConfigInput = z.input<typeof TransformerConfigSchema>;
