/** Builds a doc from literal words and entity parts, recording the entity word spans. */
import type { Doc } from '../reverse-doc.js';

/** A literal string (split on spaces) or an entity (its words, kept as one span). */
export type Part = string | { entity: readonly string[] };

/**
 * @example
 * composeDoc('d1', [{ entity: ['Ana', 'Bo'] }, 'was born in', { entity: ['Kel'] }, '.'])
 * // { id: 'd1', text: 'Ana Bo was born in Kel .', entities: [[0, 2], [5, 6]] }
 */
export function composeDoc(id: string, parts: readonly Part[]): Doc & { entities: Array<[number, number]> } {
  const words: string[] = [];
  const entities: Array<[number, number]> = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      for (const w of part.split(' ')) if (w) words.push(w);
    } else {
      entities.push([words.length, words.length + part.entity.length]);
      words.push(...part.entity);
    }
  }
  return { id, text: words.join(' '), entities };
}
