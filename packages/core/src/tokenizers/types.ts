/**
 * The one tokenizer contract of @lab. Every tokenizer maps text to integer ids
 * and back, names its special tokens, and can say which part of the text each
 * id came from (offsets), so that callers can regroup tokens into words
 * without knowing how the tokenizer splits (reverse training needs this).
 */
import type { TokenizerJSON } from './tokenizer-json.js';

/** The roles a special token can play. A role may be unset (null id). */
export type SpecialTokenRole = 'bos' | 'eos' | 'pad' | 'unk';

export interface EncodeOptions {
  /**
   * `'recognise'` (default): a special token's text inside `text` (say `<eos>`)
   * becomes that token's id. `'plain'`: the text is encoded as ordinary
   * characters, so untrusted input cannot inject control tokens.
   */
  specialTokens?: 'recognise' | 'plain';
  /** Prepend the bos id (error if the tokenizer has none). Default false. */
  addBos?: boolean;
  /** Append the eos id (error if the tokenizer has none). Default false. */
  addEos?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens instead of writing their text. Default false. */
  skipSpecialTokens?: boolean;
}

/** Ids with, for each, the `[start, end)` range of `text` (UTF-16 code units) it came from. */
export interface EncodingWithOffsets {
  ids: number[];
  /**
   * One range per id. A token that covers only some bytes of a character (a
   * byte-level BPE can split an emoji) gets the whole character, so ranges of
   * neighbouring tokens may share that character; otherwise they are disjoint
   * and increasing. Ids added by addBos/addEos get an empty range.
   */
  offsets: Array<[number, number]>;
}

export interface Tokenizer {
  /** `'byte'`, `'vocab'`, `'tiktoken'` or another implementation's name. */
  readonly kind: string;
  /** One past the largest id this tokenizer can produce (the model's vocab size). */
  readonly vocabSize: number;
  /** Special token text → id, for every special token (roles and user-defined). */
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  readonly unkId: number | null;

  /** Text → ids. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Text → ids with the text range of each id. */
  encodeWithOffsets(text: string, options?: EncodeOptions): EncodingWithOffsets;
  /** Ids → text. Never throws on a byte sequence cut mid-character (it becomes U+FFFD); throws TOKEN_ID_OUT_OF_RANGE on an unknown id. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /**
   * The UTF-8 bytes of one token as it appears in text (a special token gives
   * its own text). For byte and BPE tokenizers, concatenating the bytes of a
   * sequence gives the bytes of its decoded text; a word-level tokenizer also
   * puts a space between words, so use `decode` for whole sequences there.
   */
  tokenBytes(id: number): Uint8Array;
  /** Id of a special token given its text (`'<eos>'`) or role (`'eos'`); throws TOKENIZER_NO_SPECIAL if absent. */
  specialTokenId(nameOrRole: string): number;
  /** True for ids of special tokens. */
  isSpecial(id: number): boolean;
  /** A JSON-serialisable description that `tokenizerFromJSON` turns back into an equal tokenizer. */
  toJSON(): TokenizerJSON;
  /** Frees resources held outside the JS heap (tiktoken's wasm memory). Further calls throw. */
  dispose(): void;
}
