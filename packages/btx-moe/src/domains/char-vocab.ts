/**
 * The shared character vocabulary of the synthetic domains (spec §4):
 * PAD, BOS, EOS, then a–z, 0–9, space and `+-*=;()[]{},.:` and newline.
 * Small, fixed and known to every process, so experts trained as separate
 * jobs agree on token ids without shipping a tokenizer.
 */
import { LabError } from '@lab/core';

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789 +-*=;()[]{},.:\n';
const OFFSET = 3;
const ID_OF = new Map([...CHARS].map((c, i) => [c, i + OFFSET]));

/** Ids in the vocabulary (specials included). */
export const CHAR_VOCAB_SIZE = OFFSET + CHARS.length;

/**
 * @example
 * encodeChars('1+2=3;'); // [30, 40, 31, 43, 32, 44]
 */
export function encodeChars(text: string): number[] {
  const out: number[] = [];
  for (const c of text) {
    const id = ID_OF.get(c);
    if (id === undefined) {
      throw new LabError('CHAR_VOCAB', `character ${JSON.stringify(c)} is not in the synthetic vocabulary`, {
        char: c,
      });
    }
    out.push(id);
  }
  return out;
}

/** Special ids are dropped. */
export function decodeChars(ids: readonly number[]): string {
  let s = '';
  for (const id of ids) if (id >= OFFSET && id < CHAR_VOCAB_SIZE) s += CHARS[id - OFFSET];
  return s;
}
