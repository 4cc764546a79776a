/**
 * Vocabulary tokenizer at word or character level: a fixed list of tokens
 * (built from a corpus or given), special tokens first, and an unknown token
 * for anything outside the list. Serialises to JSON for checkpoints.
 */
import { LabError } from '../errors.js';
import { BaseTokenizer } from './base-tokenizer.js';
import { orderedSpecialTokens, resolveSpecialTokens, SpecialTokenTable } from './special-tokens.js';
import {
  type SpecialTokensConfig,
  type VocabTokenizerJSON,
  VocabTokenizerJSONSchema,
} from './tokenizer-json.js';
import type { DecodeOptions } from './types.js';
import { utf8Encode } from './utf8.js';

/**
 * Default word splitter: a run of letters, marks, digits and `_` is a word;
 * every other non-space character (punctuation, symbols) is a word by itself.
 */
export const DEFAULT_WORD_PATTERN = '[\\p{L}\\p{M}\\p{N}_]+|[^\\s\\p{L}\\p{M}\\p{N}_]';

export interface VocabTokenizerOptions {
  /** `'char'`: one token per Unicode code point (spaces included). `'word'`: tokens are matches of `wordPattern`; decode joins them with single spaces. */
  level: 'char' | 'word';
  /** Ordinary tokens in id order (ids start after the special tokens). */
  tokens: readonly string[];
  /** Defaults: pad `<pad>` (0), bos `<bos>` (1), eos `<eos>` (2), unk `<unk>` (3). Set `unk: null` to make unknown text an error. */
  specialTokens?: SpecialTokensConfig;
  /** Word level: regex source (compiled with flags `gu`). Default DEFAULT_WORD_PATTERN. */
  wordPattern?: string;
}

export interface VocabFromCorpusOptions extends Omit<VocabTokenizerOptions, 'tokens'> {
  /** Keep tokens seen at least this many times. Default 1. */
  minFrequency?: number;
  /** Largest vocabSize (special tokens included); the most frequent tokens are kept. */
  maxVocabSize?: number;
}

function compilePattern(source: string): RegExp {
  try {
    return new RegExp(source, 'gu');
  } catch (err) {
    throw new LabError('TOKENIZER_CONFIG', `bad word pattern /${source}/: ${(err as Error).message}`, {
      pattern: source,
    });
  }
}

/**
 * Word- or character-level tokenizer over a fixed vocabulary.
 *
 * @example
 * const tok = VocabTokenizer.fromCorpus(['the cat sat', 'the dog'], { level: 'word' });
 * tok.encode('the cat'); // [4, 5]: 'the' is the most frequent word, after 4 special tokens
 * tok.decode(tok.encode('the bird')); // 'the <unk>'
 */
export class VocabTokenizer extends BaseTokenizer {
  readonly kind = 'vocab';
  readonly vocabSize: number;
  readonly level: 'char' | 'word';
  readonly wordPattern: string;
  private readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  private readonly pattern: RegExp;
  private readonly offset: number;

  constructor(options: VocabTokenizerOptions) {
    if (options.level !== 'char' && options.level !== 'word') {
      throw new LabError('TOKENIZER_CONFIG', `level must be 'char' or 'word', got ${String(options.level)}`, {
        field: 'level',
      });
    }
    const roles = resolveSpecialTokens(options.specialTokens, {
      pad: '<pad>',
      bos: '<bos>',
      eos: '<eos>',
      unk: '<unk>',
    });
    const specialTexts = orderedSpecialTokens(roles);
    super(
      new SpecialTokenTable(
        specialTexts.map((t, i) => [t, i] as const),
        roles,
      ),
    );
    this.level = options.level;
    this.wordPattern = options.wordPattern ?? DEFAULT_WORD_PATTERN;
    this.pattern = compilePattern(this.wordPattern);
    this.offset = specialTexts.length;
    const ids = new Map<string, number>();
    options.tokens.forEach((token, i) => {
      if (typeof token !== 'string' || token.length === 0) {
        throw new LabError('TOKENIZER_CONFIG', `token ${i} is empty or not a string`, { index: i });
      }
      if (ids.has(token)) {
        throw new LabError(
          'TOKENIZER_CONFIG',
          `token "${token}" appears twice (at ${ids.get(token)! - this.offset} and ${i})`,
          {
            token,
            index: i,
          },
        );
      }
      if (this.specials.byText.has(token)) {
        throw new LabError('TOKENIZER_CONFIG', `token "${token}" is also a special token`, {
          token,
          index: i,
        });
      }
      if (this.level === 'char' && [...token].length !== 1) {
        throw new LabError('TOKENIZER_CONFIG', `char-level token "${token}" is not one character`, {
          token,
          index: i,
        });
      }
      ids.set(token, this.offset + i);
    });
    this.tokens = [...options.tokens];
    this.ids = ids;
    this.vocabSize = this.offset + this.tokens.length;
  }

  /**
   * Builds the vocabulary from texts: tokens sorted by frequency (descending),
   * ties by code-unit order, so the result does not depend on the order of
   * the texts. Special-token text inside the corpus is not counted.
   */
  static fromCorpus(texts: Iterable<string>, options: VocabFromCorpusOptions): VocabTokenizer {
    const minFrequency = options.minFrequency ?? 1;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new LabError('TOKENIZER_CONFIG', `minFrequency must be a positive integer, got ${minFrequency}`, {
        field: 'minFrequency',
      });
    }
    // An empty vocabulary only fixes the special tokens and the splitter.
    const probe = new VocabTokenizer({ ...options, tokens: [] });
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const piece of probe.specials.split(text)) {
        if (piece.special) continue;
        for (const [token] of probe.pieces(piece.text)) counts.set(token, (counts.get(token) ?? 0) + 1);
      }
    }
    let kept = [...counts.entries()]
      .filter(([, n]) => n >= minFrequency)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([t]) => t);
    if (options.maxVocabSize !== undefined) {
      const room = options.maxVocabSize - probe.vocabSize;
      if (!Number.isInteger(options.maxVocabSize) || room < 0) {
        throw new LabError(
          'TOKENIZER_CONFIG',
          `maxVocabSize ${options.maxVocabSize} leaves no room after ${probe.vocabSize} special tokens`,
          { field: 'maxVocabSize' },
        );
      }
      kept = kept.slice(0, room);
    }
    const { minFrequency: _m, maxVocabSize: _x, ...rest } = options;
    return new VocabTokenizer({ ...rest, tokens: kept });
  }

  /** A tokenizer over the given tokens (ids in list order, after the special tokens). */
  static fromTokens(
    tokens: readonly string[],
    options: Omit<VocabTokenizerOptions, 'tokens'>,
  ): VocabTokenizer {
    return new VocabTokenizer({ ...options, tokens });
  }

  /** Rebuilds a tokenizer from `toJSON()` output; throws TOKENIZER_JSON on a bad document. */
  static fromJSON(json: unknown): VocabTokenizer {
    const parsed = VocabTokenizerJSONSchema.safeParse(json);
    if (!parsed.success) {
      throw new LabError('TOKENIZER_JSON', `bad vocab tokenizer JSON: ${parsed.error.message}`, {
        issues: parsed.error.issues,
      });
    }
    const j = parsed.data;
    return new VocabTokenizer({
      level: j.level,
      tokens: j.tokens,
      specialTokens: j.specialTokens,
      wordPattern: j.wordPattern,
    });
  }

  /** The id of an ordinary or special token, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token) ?? this.specials.byText.get(token);
  }

  /** The text of a token id. */
  idToToken(id: number): string {
    this.checkId(id);
    return id < this.offset ? this.specials.byId.get(id)! : this.tokens[id - this.offset]!;
  }

  /** Ordinary tokens with their UTF-16 start offsets. */
  private *pieces(text: string): Generator<[string, number]> {
    if (this.level === 'char') {
      let i = 0;
      for (const ch of text) {
        yield [ch, i];
        i += ch.length;
      }
      return;
    }
    for (const m of text.matchAll(this.pattern)) {
      // A pattern that can match the empty string would loop forever elsewhere; skip such matches.
      if (m[0].length > 0) yield [m[0], m.index!];
    }
  }

  protected encodeOrdinary(
    text: string,
    start: number,
    ids: number[],
    offsets: Array<[number, number]> | null,
  ): void {
    const unk = this.unkId;
    for (const [token, at] of this.pieces(text)) {
      let id = this.ids.get(token);
      if (id === undefined) {
        if (unk === null) {
          throw new LabError(
            'TOKENIZER_UNKNOWN_TOKEN',
            `"${token}" is not in the vocabulary and there is no unk token`,
            {
              token,
              offset: start + at,
            },
          );
        }
        id = unk;
      }
      ids.push(id);
      offsets?.push([start + at, start + at + token.length]);
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    this.assertLive();
    const parts: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId(id, i);
      if (id < this.offset) {
        if (!options.skipSpecialTokens) parts.push(this.specials.byId.get(id)!);
      } else {
        parts.push(this.tokens[id - this.offset]!);
      }
    }
    return parts.join(this.level === 'word' ? ' ' : '');
  }

  tokenBytes(id: number): Uint8Array {
    return utf8Encode(this.idToToken(id));
  }

  toJSON(): VocabTokenizerJSON {
    return {
      kind: 'vocab',
      version: 1,
      level: this.level,
      wordPattern: this.wordPattern,
      tokens: [...this.tokens],
      specialTokens: structuredClone(this.specials.roles),
    };
  }
}
