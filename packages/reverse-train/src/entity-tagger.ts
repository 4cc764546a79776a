/**
 * Entity taggers for entity-preserving reversal of free text. A tagger returns
 * character spans; the transforms turn them into word spans. Generators emit
 * their own spans and need no tagger.
 */
import nlp from 'compromise';
import type { Span } from './words.js';

/** Finds entity spans in plain text. Must be deterministic (same text, same spans). */
export interface EntityTagger {
  /** `[start, end)` character ranges (UTF-16 code units) of entities in `text`; any order, may overlap. */
  tag(text: string): Span[];
}

/** What the compromise tagger marks as an entity. */
export type CompromiseEntityKind =
  | 'people'
  | 'places'
  | 'organizations'
  | 'properNouns'
  | 'dates'
  | 'numbers';

export interface CompromiseTaggerOptions {
  /** Default: every kind. */
  kinds?: CompromiseEntityKind[];
}

const ALL_KINDS: CompromiseEntityKind[] = [
  'people',
  'places',
  'organizations',
  'properNouns',
  'dates',
  'numbers',
];

// compromise's tag names for each kind (its match syntax: one or more terms with the tag).
const KIND_MATCH: Record<CompromiseEntityKind, string> = {
  people: '#Person+',
  places: '#Place+',
  organizations: '#Organization+',
  properNouns: '#ProperNoun+',
  dates: '#Date+',
  numbers: '#Value+',
};

/**
 * An offline English entity tagger on the rule-and-lexicon tagger of the
 * `compromise` package (MIT, no model download). It catches person names
 * (`Tom Cruise`, `Mary Lee Pfeiffer`), places, organisations, other runs of
 * capitalised proper nouns, and dates and numbers (`March 3, 1962`, `42`).
 * It misses lower-case names, most non-English names that it does not know
 * as proper nouns at the start of a sentence, and nested entities; it is a
 * heuristic, not a trained NER model like the flair tagger the paper used.
 *
 * @example
 * new CompromiseTagger().tag('Tom Cruise met Mary Lee Pfeiffer in Paris.')
 * // [[0, 10], [15, 32], [36, 41]]
 */
export class CompromiseTagger implements EntityTagger {
  private readonly kinds: CompromiseEntityKind[];

  constructor(options: CompromiseTaggerOptions = {}) {
    this.kinds = options.kinds ?? ALL_KINDS;
  }

  tag(text: string): Span[] {
    const doc = nlp(text);
    const spans: Array<[number, number]> = [];
    for (const kind of this.kinds) {
      const view = doc.match(KIND_MATCH[kind]);
      // json({offset:true}) gives each match's character offset and length.
      const matches = view.json({ offset: true }) as Array<{ offset?: { start: number; length: number } }>;
      for (const m of matches) {
        if (!m.offset) continue;
        let start = m.offset.start;
        let end = start + m.offset.length;
        // Trim punctuation and spaces compromise keeps around a term ("Paris." → "Paris").
        while (start < end && /[\s.,;:!?"()]/.test(text[start]!)) start++;
        while (end > start && /[\s.,;:!?"()]/.test(text[end - 1]!)) end--;
        // A possessive belongs to the sentence, not the name ("Tom Cruise's" → "Tom Cruise").
        if (/['\u2019]s$/.test(text.slice(start, end))) end -= 2;
        if (end > start) spans.push([start, end]);
      }
    }
    return spans;
  }
}
