/**
 * Grouping token ids into word units, so that word-based reversal never splits
 * a word's tokens, for any tokenizer (byte, vocab, BPE/tiktoken). Each token's
 * text comes from the tokenizer itself (`tokenBytes`); tokens that cut a
 * character in half are joined first; whitespace-only tokens go with the next
 * word (the leading-space convention of BPE); a token that covers parts of two
 * words joins them into one unit. Special tokens are units of their own that
 * never move. A word-level vocabulary tokenizer decodes with a space between
 * all tokens, so there each token is a word.
 */
import type { Tokenizer } from '@lab/core';
import { splitWords } from './words.js';

/** The parts of core's `Tokenizer` that reversal needs. */
export type ReversibleTokenizer = Pick<Tokenizer, 'encode' | 'decode' | 'tokenBytes' | 'isSpecial' | 'unkId'>;

/**
 * True for ids that keep their position: special tokens (BOS, EOS, PAD, …).
 * The unknown token stands for a word, so it moves like one.
 */
export function isFixedToken(tokenizer: ReversibleTokenizer, id: number): boolean {
  return id !== tokenizer.unkId && tokenizer.isSpecial(id);
}

/** A run of token ids that moves as one piece. */
export interface TokenUnit {
  /** `[start, end)` into the ids. */
  start: number;
  end: number;
  /** True for a special token (BOS, EOS, PAD, …): it keeps its position. */
  special: boolean;
  /** `[first, end)` word indices covered (words counted over the whole sequence, special tokens excluded); empty for specials and pure whitespace. */
  words: [number, number];
}

export interface GroupedIds {
  ids: number[];
  units: TokenUnit[];
  /** Number of words found (entity spans index these). */
  wordCount: number;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const LOOSE_UTF8 = new TextDecoder('utf-8');
// A UTF-8 character has at most 4 bytes, so at most 4 byte tokens can share one.
const MAX_ATOM_TOKENS = 4;

interface Atom {
  start: number;
  end: number;
  text: string;
}

/** Splits one run of non-special ids into atoms: token runs whose bytes decode to whole characters. */
function atomsOf(ids: readonly number[], from: number, to: number, tokenizer: ReversibleTokenizer): Atom[] {
  const atoms: Atom[] = [];
  let i = from;
  while (i < to) {
    let end = i + 1;
    let bytes = tokenizer.tokenBytes(ids[i]!);
    let text: string | null = null;
    for (;;) {
      try {
        text = STRICT_UTF8.decode(bytes);
        break;
      } catch {
        if (end >= to || end - i >= MAX_ATOM_TOKENS) break;
        const next = tokenizer.tokenBytes(ids[end]!);
        const joined = new Uint8Array(bytes.length + next.length);
        joined.set(bytes);
        joined.set(next, bytes.length);
        bytes = joined;
        end++;
      }
    }
    atoms.push({ start: i, end, text: text ?? LOOSE_UTF8.decode(bytes) });
    i = end;
  }
  return atoms;
}

/**
 * Places atoms in the decoded text of their run: directly when the pieces
 * concatenate to it (byte, BPE), else by searching forward (a word-level
 * tokenizer puts spaces between pieces), else by joining pieces with spaces.
 */
function placeAtoms(atoms: Atom[], decoded: string): { text: string; ranges: Array<[number, number]> } {
  const concat = atoms.map((a) => a.text).join('');
  if (concat === decoded) {
    let at = 0;
    return {
      text: concat,
      ranges: atoms.map((a) => {
        const r: [number, number] = [at, at + a.text.length];
        at += a.text.length;
        return r;
      }),
    };
  }
  const ranges: Array<[number, number]> = [];
  let cursor = 0;
  for (const a of atoms) {
    const found = decoded.indexOf(a.text, cursor);
    if (found < 0) break;
    ranges.push([found, found + a.text.length]);
    cursor = found + a.text.length;
  }
  if (ranges.length === atoms.length) return { text: decoded, ranges };
  return placeAtoms(atoms, atoms.map((a) => a.text).join(' '));
}

/**
 * Groups ids into units that hold whole words.
 *
 * @example
 * const tok = new TiktokenTokenizer({ encoding: 'cl100k_base' });
 * groupTokenIds(tok.encode('Tom Cruise'), tok).units.map((u) => u.words) // [[0,1],[1,2]]
 */
export function groupTokenIds(ids: readonly number[], tokenizer: ReversibleTokenizer): GroupedIds {
  const units: TokenUnit[] = [];
  let wordBase = 0;
  let runStart = 0;
  const flushRun = (runEnd: number): void => {
    if (runEnd <= runStart) return;
    const atoms = atomsOf(ids, runStart, runEnd, tokenizer);
    const { text, ranges } = placeAtoms(atoms, tokenizer.decode(ids.slice(runStart, runEnd)));
    const words = splitWords(text).offsets;
    let w = 0; // first word that may still overlap the next atom
    let pending = -1; // start id of whitespace-only atoms waiting for the next word
    let current: TokenUnit | null = null;
    for (let a = 0; a < atoms.length; a++) {
      const atom = atoms[a]!;
      const [cs, ce] = ranges[a]!;
      while (w < words.length && words[w]![1] <= cs) w++;
      let first = -1;
      let last = -1;
      for (let v = w; v < words.length && words[v]![0] < ce; v++) {
        if (words[v]![1] > cs) {
          if (first < 0) first = v;
          last = v;
        }
      }
      if (first < 0) {
        if (pending < 0) pending = atom.start;
        continue;
      }
      if (current && first < current.words[1]) {
        // Continues (or overlaps) the word the current unit ends with.
        current.end = atom.end;
        current.words[1] = Math.max(current.words[1], wordBase + last + 1);
        pending = -1; // whitespace inside a unit (cannot happen for split words, kept safe)
        continue;
      }
      current = {
        start: pending >= 0 ? pending : atom.start,
        end: atom.end,
        special: false,
        words: [wordBase + first, wordBase + last + 1],
      };
      pending = -1;
      units.push(current);
    }
    if (pending >= 0) {
      // Trailing whitespace: stays with the last word of the run, or alone.
      if (current) current.end = runEnd;
      else units.push({ start: pending, end: runEnd, special: false, words: [wordBase, wordBase] });
    }
    wordBase += words.length;
  };
  for (let i = 0; i < ids.length; i++) {
    if (isFixedToken(tokenizer, ids[i]!)) {
      flushRun(i);
      units.push({ start: i, end: i + 1, special: true, words: [wordBase, wordBase] });
      runStart = i + 1;
    }
  }
  flushRun(ids.length);
  return { ids: [...ids], units, wordCount: wordBase };
}

/**
 * Encodes words one at a time, each with a leading space (the convention of
 * BPE vocabularies), so a word has the same tokens wherever it stands and the
 * forward and reversed texts share them (spec §7, subword tokenisers).
 *
 * @param leadingSpace default true; set false for tokenizers where spaces do not matter
 * @example
 * encodeWords(['Tom', 'Cruise'], tok).ids // tok.encode(' Tom') then tok.encode(' Cruise')
 */
export function encodeWords(
  words: readonly string[],
  tokenizer: Pick<Tokenizer, 'encode'>,
  leadingSpace = true,
): { ids: number[]; wordStarts: number[] } {
  const ids: number[] = [];
  const wordStarts: number[] = [];
  for (const w of words) {
    wordStarts.push(ids.length);
    for (const id of tokenizer.encode(leadingSpace ? ` ${w}` : w, { specialTokens: 'plain' })) ids.push(id);
  }
  return { ids, wordStarts };
}
