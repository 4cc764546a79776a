/**
 * Selective copy (Gu & Dao 2023, arXiv:2312.00752), as used in the CoPE paper
 * (section 5.1): data tokens scattered among blanks, a separator, then the
 * data tokens in order. Copying needs "the k-th non-blank token", which
 * positions that skip blanks express directly. Tested with denser (fewer
 * blanks) and sparser (more blanks) contexts than in training.
 */
import { z } from 'zod';
import { taskRandom } from './random.js';
import { type TaskSample, TaskVocabulary } from './vocabulary.js';

export const SelectiveCopyConfigSchema = z
  .strictObject({
    /** Blank tokens in the context (train 64; dense OOD 32; sparse OOD 128 in the spec's CPU setting). */
    blanks: z.number().int().min(0).default(64),
    /** Fewest and most data tokens per sample (uniform). */
    minData: z.number().int().min(1).default(8),
    maxData: z.number().int().min(1).default(16),
    /** Distinct data symbols. */
    symbols: z.number().int().min(2).default(8),
  })
  .refine((c) => c.minData <= c.maxData, { message: 'minData must not exceed maxData' });
export type SelectiveCopyConfig = z.infer<typeof SelectiveCopyConfigSchema>;

/** The spec's CPU splits. */
export const SELECTIVE_COPY_SPLITS = {
  train: { blanks: 64 },
  denseOOD: { blanks: 32 },
  sparseOOD: { blanks: 128 },
} as const satisfies Record<string, z.input<typeof SelectiveCopyConfigSchema>>;

export const BLANK = '_';
export const SEPARATOR = '|';

/** Data symbols d0…d(symbols−1), the blank and the separator. */
export function selectiveCopyVocabulary(symbols = 8): TaskVocabulary {
  return new TaskVocabulary([...Array.from({ length: symbols }, (_, i) => `d${i}`), BLANK, SEPARATOR]);
}

/**
 * `count` selective-copy samples, seeded: N data tokens at distinct random
 * slots among `blanks` blanks (context length N + blanks), `|`, then the N
 * data tokens, which are scored.
 *
 * @example
 * const dense = generateSelectiveCopy(SELECTIVE_COPY_SPLITS.denseOOD, 1000, 3);
 */
export function generateSelectiveCopy(
  config: z.input<typeof SelectiveCopyConfigSchema>,
  count: number,
  seed: number,
): TaskSample[] {
  const cfg = SelectiveCopyConfigSchema.parse(config);
  const rng = taskRandom(seed);
  const out: TaskSample[] = [];
  for (let n = 0; n < count; n++) {
    const numData = rng.intBetween(cfg.minData, cfg.maxData);
    const width = numData + cfg.blanks;
    const slots = new Set(
      rng.sample(
        Array.from({ length: width }, (_, i) => i),
        numData,
      ),
    );
    const context: string[] = [];
    const data: string[] = [];
    for (let i = 0; i < width; i++) {
      if (slots.has(i)) {
        const d = `d${rng.nextInt(cfg.symbols)}`;
        context.push(d);
        data.push(d);
      } else context.push(BLANK);
    }
    const tokens = [...context, SEPARATOR, ...data];
    const scored = tokens.map((_, i) => i > context.length);
    out.push({ tokens, scored });
  }
  return out;
}
