/**
 * Byte-level tokenizer: ids 0-255 are the UTF-8 bytes of the text, special
 * tokens follow from 256. Any string encodes with no unknown token; decoding
 * any byte sequence gives text (a cut character becomes U+FFFD).
 */
import { LabError } from '../errors.js';
import { BaseTokenizer } from './base-tokenizer.js';
import { orderedSpecialTokens, resolveSpecialTokens, SpecialTokenTable } from './special-tokens.js';
import {
  type ByteTokenizerJSON,
  ByteTokenizerJSONSchema,
  type SpecialTokensConfig,
} from './tokenizer-json.js';
import type { DecodeOptions } from './types.js';
import { offsetsFromByteLengths, utf8Decode, utf8Encode } from './utf8.js';

export interface ByteTokenizerOptions {
  /** Defaults: pad `<pad>` (256), bos `<bos>` (257), eos `<eos>` (258), no unk; extra tokens follow. */
  specialTokens?: SpecialTokensConfig;
}

/**
 * UTF-8 bytes plus special tokens.
 *
 * @example
 * const tok = new ByteTokenizer();
 * tok.encode('hé<eos>'); // [104, 195, 169, 258]
 * tok.decode([104, 195, 169]); // 'hé'
 */
export class ByteTokenizer extends BaseTokenizer {
  readonly kind = 'byte';
  readonly vocabSize: number;

  constructor(options: ByteTokenizerOptions = {}) {
    const roles = resolveSpecialTokens(options.specialTokens, {
      pad: '<pad>',
      bos: '<bos>',
      eos: '<eos>',
      unk: null,
    });
    const texts = orderedSpecialTokens(roles);
    super(
      new SpecialTokenTable(
        texts.map((t, i) => [t, 256 + i] as const),
        roles,
      ),
    );
    this.vocabSize = 256 + texts.length;
  }

  /** Rebuilds a tokenizer from `toJSON()` output; throws TOKENIZER_JSON on a bad document. */
  static fromJSON(json: unknown): ByteTokenizer {
    const parsed = ByteTokenizerJSONSchema.safeParse(json);
    if (!parsed.success) {
      throw new LabError('TOKENIZER_JSON', `bad byte tokenizer JSON: ${parsed.error.message}`, {
        issues: parsed.error.issues,
      });
    }
    return new ByteTokenizer({ specialTokens: parsed.data.specialTokens });
  }

  protected encodeOrdinary(
    text: string,
    start: number,
    ids: number[],
    offsets: Array<[number, number]> | null,
  ): void {
    const bytes = utf8Encode(text);
    for (const b of bytes) ids.push(b);
    if (offsets) {
      // A loop, not push(...spread): a long text would exceed the argument limit.
      for (const r of offsetsFromByteLengths(text, new Array<number>(bytes.length).fill(1), start))
        offsets.push(r);
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    this.assertLive();
    const parts: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId(id, i);
      if (id < 256) parts.push(id);
      else if (!options.skipSpecialTokens) parts.push(...utf8Encode(this.specials.byId.get(id)!));
    }
    return utf8Decode(Uint8Array.from(parts));
  }

  tokenBytes(id: number): Uint8Array {
    this.assertLive();
    this.checkId(id);
    return id < 256 ? Uint8Array.of(id) : utf8Encode(this.specials.byId.get(id)!);
  }

  toJSON(): ByteTokenizerJSON {
    return { kind: 'byte', version: 1, specialTokens: structuredClone(this.specials.roles) };
  }
}
