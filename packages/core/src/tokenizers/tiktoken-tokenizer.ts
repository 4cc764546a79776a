/**
 * OpenAI's BPE encodings (cl100k_base, o200k_base) through the `tiktoken`
 * package (Rust compiled to wasm; the ranks ship inside it, so nothing is
 * downloaded). The package reads its wasm file when imported, so it is
 * imported on first load(), never when @lab/core is. The encoder lives in wasm
 * memory: call dispose() when done.
 */
import type { Tiktoken } from 'tiktoken';
import { LabError } from '../errors.js';
import { BaseTokenizer } from './base-tokenizer.js';
import { orderedSpecialTokens, resolveSpecialTokens, SpecialTokenTable } from './special-tokens.js';
import {
  type SpecialTokensConfig,
  TIKTOKEN_ENCODINGS,
  type TiktokenEncodingName,
  type TiktokenTokenizerJSON,
  TiktokenTokenizerJSONSchema,
} from './tokenizer-json.js';
import type { DecodeOptions } from './types.js';
import { offsetsFromByteLengths, utf8Decode } from './utf8.js';

/** Each encoding's ordinary tokens (ranks 0..n-1) and built-in special tokens. */
const ENCODINGS: Record<TiktokenEncodingName, { ranks: number; specials: Record<string, number> }> = {
  cl100k_base: {
    ranks: 100256,
    specials: {
      '<|endoftext|>': 100257,
      '<|fim_prefix|>': 100258,
      '<|fim_middle|>': 100259,
      '<|fim_suffix|>': 100260,
      '<|endofprompt|>': 100276,
    },
  },
  o200k_base: {
    ranks: 199998,
    specials: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 },
  },
};

export interface TiktokenTokenizerOptions {
  /**
   * Roles name built-in special tokens or new ones; new ones (and `extra`) get
   * ids after the encoding's largest id. Defaults: bos and eos `<|endoftext|>`,
   * no pad, no unk.
   */
  specialTokens?: SpecialTokensConfig;
}

type TiktokenModule = typeof import('tiktoken');
let modulePromise: Promise<TiktokenModule> | undefined;

async function loadModule(): Promise<TiktokenModule> {
  modulePromise ??= import('tiktoken').then((m) => {
    // CJS interop: named exports may sit on `default`.
    const mod = m as TiktokenModule & { default?: TiktokenModule };
    return typeof mod.get_encoding === 'function' ? mod : mod.default!;
  });
  return modulePromise;
}

/**
 * A tiktoken encoding behind the Tokenizer interface.
 *
 * @example
 * const tok = await TiktokenTokenizer.load('cl100k_base');
 * tok.encode('hello world'); // [15339, 1917]
 * tok.dispose();
 */
export class TiktokenTokenizer extends BaseTokenizer {
  readonly kind = 'tiktoken';
  readonly vocabSize: number;
  readonly encoding: TiktokenEncodingName;
  private readonly ranks: number;
  private encoder: Tiktoken | null;

  private constructor(
    encoding: TiktokenEncodingName,
    encoder: Tiktoken,
    specials: SpecialTokenTable,
    ranks: number,
    vocabSize: number,
  ) {
    super(specials);
    this.encoding = encoding;
    this.encoder = encoder;
    this.ranks = ranks;
    this.vocabSize = vocabSize;
  }

  /** Loads an encoding (about 0.3 s for cl100k_base). Works offline. */
  static async load(
    encoding: TiktokenEncodingName,
    options: TiktokenTokenizerOptions = {},
  ): Promise<TiktokenTokenizer> {
    const info = ENCODINGS[encoding];
    if (!info) {
      throw new LabError(
        'TOKENIZER_CONFIG',
        `unknown tiktoken encoding "${encoding}"; expected one of ${TIKTOKEN_ENCODINGS.join(', ')}`,
        { encoding },
      );
    }
    const roles = resolveSpecialTokens(options.specialTokens, {
      pad: null,
      bos: '<|endoftext|>',
      eos: '<|endoftext|>',
      unk: null,
    });
    const builtin = Object.entries(info.specials);
    let next = Math.max(...Object.values(info.specials)) + 1;
    const added: Record<string, number> = {};
    for (const t of orderedSpecialTokens(roles)) {
      if (!(t in info.specials)) added[t] = next++;
    }
    const table = new SpecialTokenTable([...builtin, ...Object.entries(added)], roles);
    const mod = await loadModule();
    const encoder = mod.get_encoding(encoding, added);
    return new TiktokenTokenizer(encoding, encoder, table, info.ranks, next);
  }

  /** Rebuilds a tokenizer from `toJSON()` output; throws TOKENIZER_JSON on a bad document. */
  static async fromJSON(json: unknown): Promise<TiktokenTokenizer> {
    const parsed = TiktokenTokenizerJSONSchema.safeParse(json);
    if (!parsed.success) {
      throw new LabError('TOKENIZER_JSON', `bad tiktoken tokenizer JSON: ${parsed.error.message}`, {
        issues: parsed.error.issues,
      });
    }
    return TiktokenTokenizer.load(parsed.data.encoding, { specialTokens: parsed.data.specialTokens });
  }

  private live(): Tiktoken {
    this.assertLive();
    return this.encoder!;
  }

  // Ids between the ranks and the special tokens are unused; passing one to
  // the wasm decoder traps and poisons the instance, so they are rejected here.
  protected override isValidId(id: number): boolean {
    return id < this.ranks || this.specials.byId.has(id);
  }

  protected encodeOrdinary(
    text: string,
    start: number,
    ids: number[],
    offsets: Array<[number, number]> | null,
  ): void {
    const encoder = this.live();
    const out = encoder.encode_ordinary(text);
    for (const id of out) ids.push(id);
    if (offsets) {
      const lengths = Array.from(out, (id) => encoder.decode_single_token_bytes(id).length);
      for (const r of offsetsFromByteLengths(text, lengths, start)) offsets.push(r);
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const encoder = this.live();
    const kept: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId(id, i);
      if (!(options.skipSpecialTokens && this.specials.byId.has(id))) kept.push(id);
    }
    return utf8Decode(encoder.decode(Uint32Array.from(kept)));
  }

  tokenBytes(id: number): Uint8Array {
    const encoder = this.live();
    this.checkId(id);
    return encoder.decode_single_token_bytes(id);
  }

  toJSON(): TiktokenTokenizerJSON {
    return {
      kind: 'tiktoken',
      version: 1,
      encoding: this.encoding,
      specialTokens: structuredClone(this.specials.roles),
    };
  }

  override dispose(): void {
    if (this.encoder) {
      this.encoder.free();
      this.encoder = null;
    }
    super.dispose();
  }
}
