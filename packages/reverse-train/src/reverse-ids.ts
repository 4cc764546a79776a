/**
 * Reversal of token ids from any core tokenizer. Ids are grouped into word
 * units (token-groups.ts), the same plan as for text is applied to the units
 * between special tokens, and special tokens keep their positions. `token`
 * mode reverses the raw ids between special tokens.
 */
import { LabError } from '@lab/core';
import { planReversal } from './plan.js';
import { parseReversal, type RandomContext, type ReversalInput, type ReverseMode } from './reversal.js';
import { groupTokenIds, isFixedToken, type ReversibleTokenizer, type TokenUnit } from './token-groups.js';
import type { Span } from './words.js';

export interface ReverseIdsOptions extends RandomContext {
  /** Entity spans as word indices (words of the decoded text, special tokens excluded). */
  entities?: readonly Span[];
}

/** Unit spans for the entity word spans that fall inside `units` (one run between special tokens). */
function entityUnitSpans(
  units: readonly TokenUnit[],
  entities: readonly Span[],
  wordLo: number,
  wordHi: number,
) {
  const out: Array<[number, number]> = [];
  for (const [s, e] of entities) {
    if (e <= wordLo || s >= wordHi) continue;
    if (s < wordLo || e > wordHi) {
      throw new LabError('ENTITY_SPANS_INVALID', `entity [${s}, ${e}) crosses a special token`, {
        span: [s, e],
      });
    }
    let first = -1;
    let last = -1;
    units.forEach((u, i) => {
      if (u.words[0] < e && s < u.words[1]) {
        if (first < 0) first = i;
        last = i;
      }
    });
    if (first >= 0) {
      const prev = out[out.length - 1];
      // Two entities inside one unit (a token spanning both) become one.
      if (prev && first < prev[1]) prev[1] = Math.max(prev[1], last + 1);
      else out.push([first, last + 1]);
    }
  }
  return out;
}

/**
 * Reverses token ids without splitting a word's tokens; special tokens never move.
 *
 * @example
 * const tok = new TiktokenTokenizer({ encoding: 'cl100k_base' });
 * const ids = encodeWords(['Tom', 'Cruise', 'is', 'here'], tok).ids;
 * tok.decode(reverseIds(ids, tok, 'entity', { entities: [[0, 2]] })) // ' here is Tom Cruise'
 */
export function reverseIds(
  ids: readonly number[],
  tokenizer: ReversibleTokenizer,
  reversal: ReversalInput | Exclude<ReverseMode, 'segment'>,
  options: ReverseIdsOptions = {},
): number[] {
  const r = parseReversal(reversal);
  if (r.mode === 'none') return [...ids];
  if (r.mode === 'token') {
    const out = [...ids];
    let runStart = 0;
    for (let i = 0; i <= ids.length; i++) {
      if (i === ids.length || isFixedToken(tokenizer, ids[i]!)) {
        const run = out.slice(runStart, i).reverse();
        out.splice(runStart, run.length, ...run);
        runStart = i + 1;
      }
    }
    return out;
  }
  const grouped = groupTokenIds(ids, tokenizer);
  const sepIds = r.mode === 'segment' && r.separator !== undefined ? tokenizer.encode(` ${r.separator}`) : [];
  const out: number[] = [];
  let chunk: TokenUnit[] = [];
  let chunkIndex = 0;
  const flush = (): void => {
    if (chunk.length > 0) {
      const wordLo = chunk[0]!.words[0];
      const wordHi = chunk[chunk.length - 1]!.words[1];
      const spans = r.mode === 'entity' ? entityUnitSpans(chunk, options.entities ?? [], wordLo, wordHi) : [];
      const docId = chunkIndex === 0 ? (options.docId ?? 0) : `${options.docId ?? 0}/${chunkIndex}`;
      const plan = planReversal(chunk.length, r, spans, { ...options, docId });
      plan.blocks.forEach(([s, e], b) => {
        for (let u = s; u < e; u++) for (let t = chunk[u]!.start; t < chunk[u]!.end; t++) out.push(ids[t]!);
        if (plan.separatorAfter[b]) out.push(...sepIds);
      });
      chunkIndex++;
    }
    chunk = [];
  };
  for (const unit of grouped.units) {
    if (unit.special) {
      flush();
      out.push(ids[unit.start]!);
    } else chunk.push(unit);
  }
  flush();
  return out;
}
