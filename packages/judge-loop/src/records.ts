/**
 * The loop's JSONL records as zod schemas (spec §3). Field names follow the
 * spec (snake_case, as in the released data and in RewardBench) so files read
 * by Python tools need no renaming.
 */
import { ChatMessageSchema } from '@lab/lm';
import { z } from 'zod';

/** A rendered prompt: a raw string or chat messages. */
export const PromptSchema = z.union([z.string(), z.array(ChatMessageSchema).min(1)]);

/** An instruction before pair building. */
export const InstructionSchema = z.strictObject({
  id: z.string().min(1),
  prompt: z.string().min(1),
  category: z.string().nullable().default(null),
});
export type Instruction = z.output<typeof InstructionSchema>;
export type InstructionInput = z.input<typeof InstructionSchema>;

/** A synthetic preference pair: `chosen` (y_w) ≻ `rejected` (y_l) by construction. */
export const PairRecordSchema = z.strictObject({
  id: z.string().min(1),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  modified_prompt: z.string(),
  generator: z.string(),
  category: z.string().nullable(),
});
export type PairRecord = z.infer<typeof PairRecordSchema>;

/** `0_1`: A = chosen (gold A); `1_0`: A = rejected (gold B). */
export const OrderSchema = z.enum(['0_1', '1_0']);
export type Order = z.infer<typeof OrderSchema>;

export const VerdictSchema = z.enum(['A', 'B', 'tie']).nullable();

/** One sampled judgment of one pair in one order. */
export const JudgmentRecordSchema = z.strictObject({
  /** `<pair_id>:<order>:<sample_idx>:it<iteration>`. */
  id: z.string(),
  /** The pair it judges (lineage: every training record traces back to a pair). */
  pair_id: z.string(),
  iteration: z.int().min(1),
  order: OrderSchema,
  sample_idx: z.int().min(0),
  prompt: PromptSchema,
  judgment: z.string(),
  verdict: VerdictSchema,
  gold: z.enum(['A', 'B']),
  correct: z.boolean(),
});
export type JudgmentRecord = z.infer<typeof JudgmentRecordSchema>;

/** An SFT example (TRL prompt-completion / OpenRLHF `--input_key prompt --output_key completion`). */
export const SftRecordSchema = z.strictObject({
  prompt: PromptSchema,
  completion: z.string(),
  id: z.string(),
  pair_id: z.string(),
  order: OrderSchema,
  gold: z.enum(['A', 'B']),
});
export type SftRecord = z.infer<typeof SftRecordSchema>;

/** A DPO pair of judgment texts for one prompted input (TRL DPOTrainer / OpenRLHF train_dpo). */
export const DpoRecordSchema = z.strictObject({
  prompt: PromptSchema,
  chosen: z.string(),
  rejected: z.string(),
  id: z.string(),
  pair_id: z.string(),
  order: OrderSchema,
  gold: z.enum(['A', 'B']),
});
export type DpoRecord = z.infer<typeof DpoRecordSchema>;

/**
 * An evaluation record in RewardBench's own format (`prompt`, `chosen`,
 * `rejected`, `subset`, `id`; RewardBench ids are integers). Other fields
 * (`chosen_model`, …) are kept.
 */
export const EvalInputSchema = z.looseObject({
  id: z.union([z.string(), z.int()]).transform(String),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  subset: z.string(),
});
export type EvalInput = z.output<typeof EvalInputSchema>;
export type EvalInputRaw = z.input<typeof EvalInputSchema>;

/** One scored judgment of an evaluation record in one order. */
export const EvalOutputSchema = z.strictObject({
  id: z.string(),
  subset: z.string(),
  order: OrderSchema,
  verdict: VerdictSchema,
  /** 1 right, 0 wrong, 0.5 unparsed or tie. */
  score: z.union([z.literal(1), z.literal(0), z.literal(0.5)]),
});
export type EvalOutput = z.infer<typeof EvalOutputSchema>;
