/**
 * The JSONL record formats of the spec (§3): problems, chains, traces and
 * timing, as zod schemas (read and write them with @lab/core's `readJsonl` /
 * `writeJsonl`, which name file and line in errors).
 */
import { z } from 'zod';

/** A question with its gold answer. */
export const ProblemRecordSchema = z.strictObject({
  id: z.string(),
  question: z.string(),
  answer: z.string(),
  answer_num: z.number().optional(),
  gold_solution: z.string().optional(),
  split: z.string(),
  source: z.string(),
  n_steps: z.number().int().optional(),
});
export type ProblemRecord = z.infer<typeof ProblemRecordSchema>;

/** A training chain, verified by reification against the gold answer. */
export const ChainRecordSchema = z.strictObject({
  id: z.string(),
  question: z.string(),
  chain: z.string(),
  /** The chain with placeholders filled. */
  reified: z.string(),
  values: z.record(z.string(), z.union([z.number(), z.string()])),
  answer: z.string(),
  verified: z.boolean(),
  drop_reason: z.string().optional(),
  ambiguous: z.boolean().optional(),
  origin: z.enum(['template', 'gsm8k-annot', 'llm-rewrite']),
});
export type ChainRecord = z.infer<typeof ChainRecordSchema>;

/** One call in a trace. */
export const TraceCallSchema = z.strictObject({
  var: z.string(),
  kind: z.enum(['math', 'tool']),
  tool: z.string().optional(),
  arg: z.union([z.string(), z.number()]),
  level: z.number().int().nullable(),
  value: z.union([z.number(), z.string()]).optional(),
  error: z.string().optional(),
  t_start_ms: z.number(),
  t_end_ms: z.number(),
});

/** What one question's run produced, with timing. */
export const TraceRecordSchema = z.strictObject({
  id: z.string(),
  mode: z.enum(['coa', 'coa-notool', 'cot', 'interleaved']),
  raw_output: z.string(),
  calls: z.array(TraceCallSchema),
  prediction: z.string().nullable(),
  correct: z.boolean().optional(),
  decode_ms: z.number(),
  tool_ms: z.number(),
  wall_ms: z.number(),
});
export type TraceRecord = z.infer<typeof TraceRecordSchema>;

/** Wall-clock summary of one executor over a question set. */
export const TimingRecordSchema = z.strictObject({
  mode: z.string(),
  n: z.number().int(),
  total_ms: z.number(),
  mean_latency_ms: z.number(),
  tool_latency_ms: z.number(),
  ms_per_token: z.number(),
  kv_cache: z.boolean(),
  speedup: z.number().optional(),
});
export type TimingRecord = z.infer<typeof TimingRecordSchema>;
