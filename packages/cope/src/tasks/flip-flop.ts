/**
 * Flip-flop language modelling (Liu et al. 2023, arXiv:2306.00946), as used in
 * the CoPE paper (section 5.3): pairs (instruction, bit) with instructions
 * w (write), r (read) and i (ignore). The bit after r must equal the last
 * written bit, however many ignores lie between. Trained at p_i = 0.8; tested
 * sparse (p_i 0.98: writes far back) and dense (p_i 0.1).
 */
import { z } from 'zod';
import { taskRandom } from './random.js';
import { type TaskSample, TaskVocabulary } from './vocabulary.js';

export const FlipFlopConfigSchema = z.strictObject({
  /** Instruction-bit pairs per sequence (train 64; sparse OOD 128 in the spec's CPU setting). */
  pairs: z.number().int().min(2).default(64),
  /** Probability of an inner `i`; w and r share the rest equally. Train 0.8, sparse OOD 0.98, dense OOD 0.1. */
  pIgnore: z.number().min(0).max(1).default(0.8),
});
export type FlipFlopConfig = z.infer<typeof FlipFlopConfigSchema>;

/** The splits of the paper: training distribution and the two out-of-distribution tests. */
export const FLIP_FLOP_SPLITS = {
  train: { pairs: 64, pIgnore: 0.8 },
  sparseOOD: { pairs: 128, pIgnore: 0.98 },
  denseOOD: { pairs: 64, pIgnore: 0.1 },
} as const satisfies Record<string, z.input<typeof FlipFlopConfigSchema>>;

/** w, r, i, 0, 1 (and the pad token). */
export function flipFlopVocabulary(): TaskVocabulary {
  return new TaskVocabulary(['w', 'r', 'i', '0', '1']);
}

/**
 * `count` flip-flop sequences, seeded. Starts with w, ends with r; only the
 * bits after r are scored.
 *
 * @example
 * const sparse = generateFlipFlop(FLIP_FLOP_SPLITS.sparseOOD, 1000, 7);
 */
export function generateFlipFlop(
  config: z.input<typeof FlipFlopConfigSchema>,
  count: number,
  seed: number,
): TaskSample[] {
  const cfg = FlipFlopConfigSchema.parse(config);
  const rng = taskRandom(seed);
  const out: TaskSample[] = [];
  for (let n = 0; n < count; n++) {
    const tokens: string[] = [];
    const scored: boolean[] = [];
    let memory = '0';
    for (let p = 0; p < cfg.pairs; p++) {
      let op: string;
      if (p === 0) op = 'w';
      else if (p === cfg.pairs - 1) op = 'r';
      else {
        const u = rng.nextFloat();
        op = u < cfg.pIgnore ? 'i' : u < cfg.pIgnore + (1 - cfg.pIgnore) / 2 ? 'w' : 'r';
      }
      const bit = op === 'r' ? memory : String(rng.nextInt(2));
      if (op === 'w') memory = bit;
      tokens.push(op, bit);
      scored.push(false, op === 'r');
    }
    out.push({ tokens, scored });
  }
  return out;
}

/** The bits every `r` must read, by re-simulation: one per `r`, in order. */
export function simulateFlipFlop(tokens: readonly string[]): string[] {
  const reads: string[] = [];
  let memory: string | null = null;
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    if (tokens[i] === 'w') memory = tokens[i + 1]!;
    else if (tokens[i] === 'r') reads.push(memory ?? '?');
  }
  return reads;
}
