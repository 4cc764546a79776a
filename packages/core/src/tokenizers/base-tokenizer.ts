/**
 * What every tokenizer implementation shares: special-token lookups,
 * splitting text at special tokens, bos/eos insertion, id checks and the
 * disposed state. Subclasses encode ordinary text and decode ids.
 */
import { LabError } from '../errors.js';
import type { SpecialTokenTable } from './special-tokens.js';
import type { TokenizerJSON } from './tokenizer-json.js';
import type { DecodeOptions, EncodeOptions, EncodingWithOffsets, Tokenizer } from './types.js';

export abstract class BaseTokenizer implements Tokenizer {
  abstract readonly kind: string;
  abstract readonly vocabSize: number;
  protected readonly specials: SpecialTokenTable;
  private disposed = false;

  protected constructor(specials: SpecialTokenTable) {
    this.specials = specials;
  }

  get specialTokens(): ReadonlyMap<string, number> {
    return this.specials.byText;
  }
  get bosId(): number | null {
    return this.specials.roleId('bos');
  }
  get eosId(): number | null {
    return this.specials.roleId('eos');
  }
  get padId(): number | null {
    return this.specials.roleId('pad');
  }
  get unkId(): number | null {
    return this.specials.roleId('unk');
  }

  specialTokenId(nameOrRole: string): number {
    return this.specials.idOf(nameOrRole);
  }

  isSpecial(id: number): boolean {
    return this.specials.byId.has(id);
  }

  /**
   * Encodes text that holds no special tokens, appending to `ids` and, when
   * given, the matching `[start, end)` ranges (shifted by `start`) to `offsets`.
   */
  protected abstract encodeOrdinary(
    text: string,
    start: number,
    ids: number[],
    offsets: Array<[number, number]> | null,
  ): void;

  abstract decode(ids: readonly number[], options?: DecodeOptions): string;
  abstract tokenBytes(id: number): Uint8Array;
  abstract toJSON(): TokenizerJSON;

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    this.encodeInto(text, options, ids, null);
    return ids;
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): EncodingWithOffsets {
    const ids: number[] = [];
    const offsets: Array<[number, number]> = [];
    this.encodeInto(text, options, ids, offsets);
    return { ids, offsets };
  }

  private encodeInto(
    text: string,
    options: EncodeOptions,
    ids: number[],
    offsets: Array<[number, number]> | null,
  ): void {
    this.assertLive();
    if (typeof text !== 'string') {
      throw new LabError('TOKENIZER_INPUT', `encode expects a string, got ${typeof text}`, {});
    }
    if (options.addBos) {
      ids.push(this.roleIdOrThrow('bos'));
      offsets?.push([0, 0]);
    }
    const mode = options.specialTokens ?? 'recognise';
    if (mode === 'plain') {
      this.encodeOrdinary(text, 0, ids, offsets);
    } else {
      for (const piece of this.specials.split(text)) {
        if (piece.special) {
          ids.push(piece.id);
          offsets?.push([piece.start, piece.end]);
        } else if (piece.text.length > 0) {
          this.encodeOrdinary(piece.text, piece.start, ids, offsets);
        }
      }
    }
    if (options.addEos) {
      ids.push(this.roleIdOrThrow('eos'));
      offsets?.push([text.length, text.length]);
    }
  }

  private roleIdOrThrow(role: 'bos' | 'eos'): number {
    const id = this.specials.roleId(role);
    if (id === null) {
      throw new LabError('TOKENIZER_NO_SPECIAL', `this ${this.kind} tokenizer has no ${role} token`, {
        role,
      });
    }
    return id;
  }

  /** Throws TOKEN_ID_OUT_OF_RANGE unless `id` is an integer id of this tokenizer. */
  protected checkId(id: number, index?: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize || !this.isValidId(id)) {
      throw new LabError(
        'TOKEN_ID_OUT_OF_RANGE',
        `token id ${id}${index === undefined ? '' : ` at position ${index}`} is not in this ${this.kind} tokenizer (vocab size ${this.vocabSize})`,
        { id, index, vocabSize: this.vocabSize },
      );
    }
  }

  /** Ids in [0, vocabSize) that are nevertheless unused (tiktoken has gaps). */
  protected isValidId(_id: number): boolean {
    return true;
  }

  protected assertLive(): void {
    if (this.disposed) {
      throw new LabError('TOKENIZER_DISPOSED', `this ${this.kind} tokenizer was disposed`, {});
    }
  }

  dispose(): void {
    this.disposed = true;
  }
}
