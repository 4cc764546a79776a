/**
 * Incremental decoding for streamed generation: ids arrive one at a time and
 * text is emitted as soon as it is complete. A byte-level or BPE token can
 * end mid-character (an emoji spans several byte tokens), so text ending in
 * an incomplete character is held back until the character completes.
 */
import type { DecodeOptions, Tokenizer } from './types.js';

/** A character is at most 4 UTF-8 bytes, so at most 4 tokens can be needed to finish one. */
const MAX_HELD = 4;

/**
 * Works with any Tokenizer: the text of new ids is the decode of (last
 * emitted ids + new ids) minus the decode of the last emitted ids, which
 * also yields the space a word-level tokenizer puts between words.
 *
 * @example
 * const stream = new StreamingDecoder(tokenizer);
 * for (const id of ids) process.stdout.write(stream.push(id));
 * process.stdout.write(stream.flush());
 */
export class StreamingDecoder {
  private context: number[] = [];
  private pending: number[] = [];

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly options: DecodeOptions = {},
  ) {}

  /** Adds one id; returns the text it completes (possibly empty). */
  push(id: number): string {
    this.pending.push(id);
    const text = this.textOfPending();
    if (text.endsWith('\uFFFD') && this.pending.length < MAX_HELD) return '';
    this.context = this.pending;
    this.pending = [];
    return text;
  }

  /** Emits whatever is held (an incomplete character becomes U+FFFD) and resets. */
  flush(): string {
    const text = this.pending.length > 0 ? this.textOfPending() : '';
    this.context = [];
    this.pending = [];
    return text;
  }

  private textOfPending(): string {
    const prefix = this.tokenizer.decode(this.context, this.options);
    const full = this.tokenizer.decode([...this.context, ...this.pending], this.options);
    // Decoding is concatenative for every core tokenizer, so full starts with prefix.
    return full.startsWith(prefix)
      ? full.slice(prefix.length)
      : this.tokenizer.decode(this.pending, this.options);
  }
}
