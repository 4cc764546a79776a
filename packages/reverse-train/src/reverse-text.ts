/**
 * Reversal of plain text and word lists (spec §2). Text is split into words
 * (see words.ts), the plan is applied to the word list, and the result is the
 * words joined by single spaces: reversing twice gives back the word list,
 * i.e. the text with its spacing normalised.
 */
import { LabError } from '@lab/core';
import type { EntityTagger } from './entity-tagger.js';
import { mapSpansThroughPlan, planReversal } from './plan.js';
import { parseReversal, type RandomContext, type ReversalInput, type ReverseMode } from './reversal.js';
import { charSpansToWordSpans, type Span, splitWords } from './words.js';

export interface ReverseWordsOptions extends RandomContext {
  /** Entity word spans `[start, end)` (sorted, disjoint); needed for `entity` mode. */
  entities?: readonly Span[];
}

export interface ReversedWords {
  words: string[];
  /** The entity spans that stayed whole, at their new word positions (sorted). */
  entities: Array<[number, number]>;
}

/**
 * Reverses a word list. `token` mode treats each word as one token.
 *
 * @example
 * reverseWords(['Tom', 'Cruise', 'is', 'here'], 'entity', { entities: [[0, 2]] }).words
 * // ['here', 'is', 'Tom', 'Cruise']
 */
export function reverseWords(
  words: readonly string[],
  reversal: ReversalInput | Exclude<ReverseMode, 'segment'>,
  options: ReverseWordsOptions = {},
): ReversedWords {
  const r = parseReversal(reversal);
  const entities = options.entities ?? [];
  const plan = planReversal(words.length, r, entities, options);
  const out: string[] = [];
  plan.blocks.forEach(([s, e], i) => {
    for (let w = s; w < e; w++) out.push(words[w]!);
    if (plan.separatorAfter[i] && r.mode === 'segment') out.push(r.separator!);
  });
  return { words: out, entities: mapSpansThroughPlan(plan, entities) };
}

export interface ReverseTextOptions extends RandomContext {
  /** Entity spans as word indices over `splitWords(text).words`. */
  entities?: readonly Span[];
  /** Tags entities when `entities` is not given (entity mode only). */
  tagger?: EntityTagger;
}

/**
 * Reverses plain text; the result's words are joined by single spaces.
 * Entity spans come from `options.entities` (word indices) or `options.tagger`.
 *
 * @example
 * reverseText("Tom Cruise's mother is Mary Lee Pfeiffer", 'entity', { tagger: new CompromiseTagger() })
 * // "Mary Lee Pfeiffer is mother 's Tom Cruise"
 */
export function reverseText(
  text: string,
  reversal: ReversalInput | Exclude<ReverseMode, 'segment'>,
  options: ReverseTextOptions = {},
): string {
  const r = parseReversal(reversal);
  const { words, offsets } = splitWords(text);
  let entities = options.entities;
  if (r.mode === 'entity' && entities === undefined) {
    if (!options.tagger) {
      throw new LabError(
        'ENTITY_SPANS_MISSING',
        'entity reversal needs `entities` (word spans) or a `tagger`',
        {
          text: text.slice(0, 80),
        },
      );
    }
    entities = charSpansToWordSpans(options.tagger.tag(text), offsets);
  }
  return reverseWords(words, r, { ...options, entities }).words.join(' ');
}
