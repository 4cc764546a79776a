/**
 * The JSON forms of the tokenizers (tokenizer.json in a checkpoint), as zod
 * schemas so that a stored file is validated before a tokenizer is rebuilt.
 */
import { z } from 'zod';

const tokenText = z.string().min(1);

/**
 * Special tokens of a tokenizer. A role left undefined takes the tokenizer's
 * default (`<bos>`, `<eos>`, `<pad>`, and `<unk>` for vocabulary tokenizers);
 * null means the tokenizer has no token in that role. `extra` lists
 * user-defined special tokens (`<sep>`, `<|user|>`).
 */
export const SpecialTokensConfigSchema = z.strictObject({
  pad: tokenText.nullable().optional(),
  bos: tokenText.nullable().optional(),
  eos: tokenText.nullable().optional(),
  unk: tokenText.nullable().optional(),
  extra: z.array(tokenText).default([]),
});
export type SpecialTokensConfig = z.input<typeof SpecialTokensConfigSchema>;

/** Resolved special tokens, as stored (every role explicit). */
const ResolvedSpecialsSchema = z.strictObject({
  pad: tokenText.nullable(),
  bos: tokenText.nullable(),
  eos: tokenText.nullable(),
  unk: tokenText.nullable(),
  extra: z.array(tokenText),
});

export const ByteTokenizerJSONSchema = z.strictObject({
  kind: z.literal('byte'),
  version: z.literal(1),
  specialTokens: ResolvedSpecialsSchema,
});
export type ByteTokenizerJSON = z.infer<typeof ByteTokenizerJSONSchema>;

export const VocabTokenizerJSONSchema = z.strictObject({
  kind: z.literal('vocab'),
  version: z.literal(1),
  level: z.enum(['char', 'word']),
  /** Source of the word-splitting regex (flags `gu`); word level only. */
  wordPattern: z.string().min(1),
  /** Ordinary tokens in id order; their ids follow the special tokens'. */
  tokens: z.array(tokenText),
  specialTokens: ResolvedSpecialsSchema,
});
export type VocabTokenizerJSON = z.infer<typeof VocabTokenizerJSONSchema>;

export const TIKTOKEN_ENCODINGS = ['cl100k_base', 'o200k_base'] as const;
export type TiktokenEncodingName = (typeof TIKTOKEN_ENCODINGS)[number];

export const TiktokenTokenizerJSONSchema = z.strictObject({
  kind: z.literal('tiktoken'),
  version: z.literal(1),
  encoding: z.enum(TIKTOKEN_ENCODINGS),
  specialTokens: ResolvedSpecialsSchema,
});
export type TiktokenTokenizerJSON = z.infer<typeof TiktokenTokenizerJSONSchema>;

export const TokenizerJSONSchema = z.discriminatedUnion('kind', [
  ByteTokenizerJSONSchema,
  VocabTokenizerJSONSchema,
  TiktokenTokenizerJSONSchema,
]);
export type TokenizerJSON = z.infer<typeof TokenizerJSONSchema>;
