/**
 * Word splitting for the word-based reversal modes (spec §2): a word is a run
 * of letters/digits/underscores (hyphens inside a word keep it whole), a clitic
 * such as `'s` or `'re` is its own word, and every other non-space character
 * (punctuation) is a word by itself. Whitespace separates words and is not kept.
 */

/** A `[start, end)` range: characters of a text, or words of a word list. */
export type Span = readonly [number, number];

/** The words of a text and the character range of each. */
export interface SplitText {
  words: string[];
  /** `[start, end)` in UTF-16 code units, one per word. */
  offsets: Array<[number, number]>;
}

// Order matters: a word (with inner hyphens), then a clitic, then one symbol.
const WORD_RE = /[\p{L}\p{N}\p{M}_]+(?:-[\p{L}\p{N}\p{M}_]+)*|['\u2019]\p{L}+|\S/gu;

/**
 * Splits text into words with their character offsets.
 *
 * @example
 * splitWords("Tom Cruise's mother.").words // ['Tom', 'Cruise', "'s", 'mother', '.']
 */
export function splitWords(text: string): SplitText {
  const words: string[] = [];
  const offsets: Array<[number, number]> = [];
  for (const m of text.matchAll(WORD_RE)) {
    words.push(m[0]);
    offsets.push([m.index, m.index + m[0].length]);
  }
  return { words, offsets };
}

/**
 * Converts character spans (from an entity tagger) into word spans over
 * `offsets`: a word belongs to a span if they share a character. Overlapping
 * or touching results are merged, so the output is sorted and disjoint.
 */
export function charSpansToWordSpans(
  charSpans: readonly Span[],
  offsets: readonly Span[],
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [cs, ce] of charSpans) {
    let first = -1;
    let last = -1;
    for (let w = 0; w < offsets.length; w++) {
      const [ws, we] = offsets[w]!;
      if (ws < ce && cs < we) {
        if (first < 0) first = w;
        last = w;
      }
    }
    if (first >= 0) out.push([first, last + 1]);
  }
  return normalizeSpans(out);
}

/** Sorts spans and merges overlapping ones (spans that only touch stay apart). */
export function normalizeSpans(spans: readonly Span[]): Array<[number, number]> {
  const sorted = spans.filter(([s, e]) => e > s).map(([s, e]) => [s, e] as [number, number]);
  sorted.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const span of sorted) {
    const prev = out[out.length - 1];
    if (prev && span[0] < prev[1]) prev[1] = Math.max(prev[1], span[1]);
    else out.push(span);
  }
  return out;
}
