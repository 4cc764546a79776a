/** Random Unicode strings for tokenizer round-trip tests (valid code points only, no lone surrogates). */
import type { Rng } from '../../src/data/rng.js';

const RANGES: Array<[number, number]> = [
  [0x20, 0x7e], // ASCII printable
  [0x09, 0x0a], // tab, newline
  [0xa0, 0x17f], // Latin-1, Latin Extended-A
  [0x300, 0x36f], // combining marks
  [0x400, 0x4ff], // Cyrillic
  [0x4e00, 0x4fff], // CJK
  [0xfeff, 0xfeff], // BOM (a decoder must not drop it)
  [0x1f300, 0x1f64f], // emoji (astral: surrogate pairs, 4 UTF-8 bytes)
  [0x10000, 0x1007f], // Linear B
];

export function randomText(rng: Rng, maxLength = 40): string {
  const n = rng.nextInt(maxLength + 1);
  let s = '';
  for (let i = 0; i < n; i++) {
    const [lo, hi] = rng.choice(RANGES);
    s += String.fromCodePoint(rng.intBetween(lo, hi));
  }
  return s;
}
