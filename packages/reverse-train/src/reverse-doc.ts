/**
 * One document, forward or reversed, as text and (with a tokenizer) token ids.
 * The mixers use this: words are split once, the plan is applied to the word
 * list, and ids come from encoding each word alone (`encodeWords`), so a word
 * has the same tokens in the forward and the reversed sample.
 */

import type { Tokenizer } from '@lab/core';
import { LabError } from '@lab/core';
import { z } from 'zod';
import type { EntityTagger } from './entity-tagger.js';
import { parseReversal, type Reversal, type ReversalInput } from './reversal.js';
import { reverseWords } from './reverse-text.js';
import { encodeWords } from './token-groups.js';
import { charSpansToWordSpans, type Span, splitWords } from './words.js';

/** A training document: text, an optional stable id, optional entity word spans `[start, end)` over `splitWords(text).words`. */
export const DocSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  text: z.string(),
  entities: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).optional(),
});
export type Doc = z.infer<typeof DocSchema>;

export interface DocView {
  text: string;
  /** Present when a tokenizer was given. */
  ids?: number[];
  /** Tokens (ids) if a tokenizer was given, else words. */
  tokens: number;
}

export interface ReverseDocOptions {
  tokenizer?: Pick<Tokenizer, 'encode'>;
  tagger?: EntityTagger;
  /** Default true: each word is encoded with a leading space (BPE convention). */
  leadingSpace?: boolean;
  seed?: number | string;
  epoch?: number;
  /** Used when the doc has no id. */
  fallbackId?: number | string;
}

/**
 * Applies a reversal (or `none`) to a document.
 *
 * @example
 * reverseDoc({ text: 'a r1 r2 b c', entities: [[3, 5]] }, 'entity').text // 'b c r2 r1 a'
 */
export function reverseDoc(
  doc: Doc,
  reversal: Reversal | ReversalInput | 'none' | 'token' | 'word' | 'entity',
  options: ReverseDocOptions = {},
): DocView {
  const r = parseReversal(reversal);
  const { words, offsets } = splitWords(doc.text);
  let entities: readonly Span[] | undefined = doc.entities;
  if (r.mode === 'entity' && entities === undefined) {
    if (!options.tagger) {
      throw new LabError(
        'ENTITY_SPANS_MISSING',
        `doc ${String(doc.id ?? options.fallbackId)}: entity reversal needs spans or a tagger`,
        {
          docId: doc.id ?? options.fallbackId,
        },
      );
    }
    entities = charSpansToWordSpans(options.tagger.tag(doc.text), offsets);
  }
  const docId = doc.id ?? options.fallbackId ?? 0;
  // On words, `token` equals `word` (one token per word); on ids it reverses the raw ids below.
  const out =
    r.mode === 'none'
      ? words
      : reverseWords(words, r, { entities, seed: options.seed, epoch: options.epoch, docId }).words;
  const view: DocView = { text: out.join(' '), tokens: out.length };
  if (options.tokenizer) {
    const ids = encodeWords(
      r.mode === 'token' ? words : out,
      options.tokenizer,
      options.leadingSpace ?? true,
    ).ids;
    view.ids = r.mode === 'token' ? ids.reverse() : ids;
    view.tokens = view.ids.length;
  }
  return view;
}
