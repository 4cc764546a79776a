/**
 * Which reversal to apply (spec §2), as a zod schema: a union discriminated on
 * `mode`. `none` is the standard (forward-only) arm, so every arm of an
 * experiment is one value of this type.
 */
import { z } from 'zod';

export const ReversalSchema = z.discriminatedUnion('mode', [
  /** Forward only: the standard baseline. */
  z.strictObject({ mode: z.literal('none') }),
  /** Token ids t1…tn become tn…t1 (on text without a tokenizer: one token per word). */
  z.strictObject({ mode: z.literal('token') }),
  /** Word order reversed, tokens inside a word keep their order. */
  z.strictObject({ mode: z.literal('word') }),
  /** Each entity span is one unit; units reversed (words inside an entity keep order). */
  z.strictObject({ mode: z.literal('entity') }),
  /** Random segments of 1…k words, segment order reversed, word order inside kept. */
  z.strictObject({
    mode: z.literal('segment'),
    k: z.number().int().min(1),
    /** A word written between reversed segments (off by default; the paper's use is unverified). */
    separator: z.string().min(1).optional(),
    /** `per-epoch`: a fresh cut each time a doc is served (default); `fixed`: one cut per doc. */
    resample: z.enum(['per-epoch', 'fixed']).default('per-epoch'),
  }),
]);

export type Reversal = z.infer<typeof ReversalSchema>;
export type ReversalInput = z.input<typeof ReversalSchema>;
export type ReverseMode = Reversal['mode'];

/** Where a random reversal draws from: the same (seed, docId, epoch) gives the same cut. */
export interface RandomContext {
  /** Default 0. */
  seed?: number | string;
  /** Default 0. Any stable id of the document. */
  docId?: number | string;
  /** Default 0. Ignored when `resample` is `fixed`. */
  epoch?: number;
}

/** Parses a reversal given as a mode name or an object (`'word'`, `{ mode: 'segment', k: 3 }`). */
export function parseReversal(input: ReversalInput | Exclude<ReverseMode, 'segment'>): Reversal {
  const value = typeof input === 'string' ? { mode: input } : input;
  return ReversalSchema.parse(value);
}

/** A short name for tables: `standard`, `word`, `segment(3)`, `segment(3,sep)`, `segment(3,fixed)`. */
export function reversalName(reversal: ReversalInput | Exclude<ReverseMode, 'segment'>): string {
  const r = parseReversal(reversal);
  if (r.mode === 'none') return 'standard';
  if (r.mode !== 'segment') return r.mode;
  const extras = [r.separator === undefined ? null : 'sep', r.resample === 'fixed' ? 'fixed' : null].filter(
    Boolean,
  );
  return `segment(${[r.k, ...extras].join(',')})`;
}
