/**
 * UTF-8 helpers for tokenizers: lenient decoding (a sequence cut
 * mid-character becomes U+FFFD instead of throwing) and the map from byte
 * positions back to UTF-16 positions that token offsets need.
 */
import { LabError } from '../errors.js';

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as text: a tokenizer must not drop characters.
const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** UTF-8 bytes of `text` (lone surrogates become U+FFFD, as the Encoding standard says). */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Text of UTF-8 `bytes`; invalid or truncated sequences become U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** UTF-8 length of one code point (lone surrogates are encoded as U+FFFD: 3 bytes). */
function utf8Length(cp: number): number {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

/**
 * For each byte of `text`'s UTF-8 encoding, the UTF-16 range `[start, end)` of
 * the character it belongs to.
 */
export function byteToCharRanges(text: string): { start: Int32Array; end: Int32Array } {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const n = utf8Length(cp);
    for (let k = 0; k < n; k++) {
      starts.push(i);
      ends.push(i + units);
    }
    i += units;
  }
  return { start: Int32Array.from(starts), end: Int32Array.from(ends) };
}

/**
 * Offsets of tokens given their byte lengths, which must add up to the UTF-8
 * length of `text`. A token that covers part of a character gets the whole
 * character. `base` is added to every offset.
 */
export function offsetsFromByteLengths(
  text: string,
  byteLengths: readonly number[],
  base: number,
): Array<[number, number]> {
  const map = byteToCharRanges(text);
  const total = byteLengths.reduce((a, b) => a + b, 0);
  if (total !== map.start.length) {
    throw new LabError(
      'TOKENIZER_OFFSETS',
      `token bytes add up to ${total} but the text has ${map.start.length} UTF-8 bytes`,
      { total, expected: map.start.length },
    );
  }
  const out: Array<[number, number]> = [];
  let pos = 0;
  for (const len of byteLengths) {
    if (len === 0) {
      const at = pos < map.start.length ? map.start[pos]! : text.length;
      out.push([base + at, base + at]);
      continue;
    }
    out.push([base + map.start[pos]!, base + map.end[pos + len - 1]!]);
    pos += len;
  }
  return out;
}
