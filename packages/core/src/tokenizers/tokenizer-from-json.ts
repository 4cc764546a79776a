/**
 * Rebuilds any of core's tokenizers from its JSON form (tokenizer.json).
 */
import { LabError } from '../errors.js';
import { ByteTokenizer } from './byte-tokenizer.js';
import { TiktokenTokenizer } from './tiktoken-tokenizer.js';
import { TokenizerJSONSchema } from './tokenizer-json.js';
import type { Tokenizer } from './types.js';
import { VocabTokenizer } from './vocab-tokenizer.js';

/**
 * The tokenizer that `json` (from `tokenizer.toJSON()`) describes. Async
 * because a tiktoken encoding loads its wasm module.
 *
 * @example
 * const copy = await tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
 */
export async function tokenizerFromJSON(json: unknown): Promise<Tokenizer> {
  const parsed = TokenizerJSONSchema.safeParse(json);
  if (!parsed.success) {
    throw new LabError('TOKENIZER_JSON', `bad tokenizer JSON: ${parsed.error.message}`, {
      issues: parsed.error.issues,
    });
  }
  const j = parsed.data;
  switch (j.kind) {
    case 'byte':
      return ByteTokenizer.fromJSON(j);
    case 'vocab':
      return VocabTokenizer.fromJSON(j);
    case 'tiktoken':
      return TiktokenTokenizer.fromJSON(j);
  }
}
