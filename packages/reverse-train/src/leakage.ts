/**
 * Leakage check (spec §7): no test item may reach training in either
 * direction. For every training doc and its reversals (word and entity by
 * default), a test item leaks when a sentence of the doc starts with the
 * item's prompt (the question form is never trained for test items) or is the
 * item's full text `prompt answer`, forward or word-reversed. The prompt alone
 * is checked on the doc as written only: a reversed view may begin with a
 * test prompt by chance (`b' r3 a'` word-reversed, where b' ends like b) and go
 * on to another answer, which is noise, not the item.
 */

import type { QAItem } from './generators/types.js';
import type { ReversalInput } from './reversal.js';
import type { Doc } from './reverse-doc.js';
import { reverseDoc } from './reverse-doc.js';

export interface Leak {
  /** Index into the test items. */
  item: number;
  docId: string | number;
  /** Which view of the training doc contained it. */
  view: string;
  kind: 'prompt' | 'qa';
}

/** Normalises to ` w1 w2 … ` so that substring search matches whole words only. */
function norm(text: string): string {
  return ` ${text.split(/\s+/).filter(Boolean).join(' ')} `;
}

const SENTENCE_END = new Set(['.', '?', '!']);

/** The word before character `at` of a normalised text ('' at the start). */
function wordBefore(text: string, at: number): string {
  const head = text.slice(0, at).trimEnd();
  return head.slice(head.lastIndexOf(' ') + 1);
}

/**
 * True when `needle` (normalised) occurs in `text` (normalised) starting a
 * sentence (at the start or after . ? !) and, if `whole`, ending one (at the
 * end or before . ? !). Without these bounds a prompt `s5 r3` would match
 * inside `s9 s5 r3 s1`, whose entity merely ends in the same symbol.
 */
function occursBounded(text: string, needle: string, whole: boolean): boolean {
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = wordBefore(text, at + 1);
    if (before !== '' && !SENTENCE_END.has(before)) continue;
    if (!whole) return true;
    const after =
      text
        .slice(at + needle.length)
        .trimStart()
        .split(' ')[0] ?? '';
    if (after === '' || SENTENCE_END.has(after)) return true;
  }
  return false;
}

/**
 * Returns every leak (empty when clean).
 *
 * @example
 * const task = generateBios({ people: 60 });
 * findLeaks(task.train, task.test) // []
 */
export function findLeaks(
  train: readonly Doc[],
  test: readonly QAItem[],
  reversals: ReadonlyArray<ReversalInput> = [{ mode: 'word' }, { mode: 'entity' }],
): Leak[] {
  const probes = test.map((q) => {
    const full = `${q.prompt} ${q.answer}`;
    const forms = new Set([norm(full)]);
    for (const r of reversals) {
      if (r.mode === 'entity') continue; // items carry no spans; word reversal covers them
      forms.add(norm(reverseDoc({ text: full }, r).text));
    }
    return { prompt: norm(q.prompt), forms: [...forms] };
  });
  const leaks: Leak[] = [];
  train.forEach((doc, d) => {
    const views: Array<[string, string]> = [['forward', norm(doc.text)]];
    for (const r of reversals) {
      if (r.mode === 'entity' && !doc.entities) continue;
      views.push([r.mode, norm(reverseDoc(doc, r, { fallbackId: d }).text)]);
    }
    for (const [view, text] of views) {
      probes.forEach((p, item) => {
        if (view === 'forward' && occursBounded(text, p.prompt, false))
          leaks.push({ item, docId: doc.id ?? d, view, kind: 'prompt' });
        else if (p.forms.some((f) => occursBounded(text, f, true)))
          leaks.push({ item, docId: doc.id ?? d, view, kind: 'qa' });
      });
    }
  });
  return leaks;
}
