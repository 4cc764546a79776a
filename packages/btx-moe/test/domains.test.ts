import { describe, expect, it } from 'vitest';
import { arithHeldoutProblems, documents, splitOf } from '../src/index.js';

/** The first `n` documents of a stream. */
function take(stream: Generator<string>, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(stream.next().value as string);
  return out;
}

/** The lines of a document, each with its `\n` (the form the held-out set hashes). */
function lines(doc: string): string[] {
  return doc
    .split('\n')
    .slice(0, -1)
    .map((l) => `${l}\n`);
}

describe('arithmetic split', () => {
  it('no held-out exact-match problem occurs as a line of a training document', () => {
    const heldout = new Set(arithHeldoutProblems(1000, 0).map((p) => `${p.prompt}${p.answer};\n`));
    expect(heldout.size).toBe(1000);
    for (const seed of [1, 2]) {
      const docs = take(documents('arith', 'train', seed), 400);
      let leaked = 0;
      let n = 0;
      for (const doc of docs) {
        for (const line of lines(doc)) {
          n++;
          if (heldout.has(line)) leaked++;
          // Stronger than the sample above: every training line hashes to the training split.
          expect(splitOf(line)).toBe('train');
        }
      }
      expect(n).toBeGreaterThan(400 * 3 - 1);
      expect(leaked).toBe(0);
    }
  });

  it('held-out arithmetic documents are made of held-out lines only', () => {
    for (const doc of take(documents('arith', 'heldout', 3), 100)) {
      for (const line of lines(doc)) expect(splitOf(line)).toBe('heldout');
    }
  });

  it('the split functions still produce the requested counts and shapes', () => {
    const problems = arithHeldoutProblems(37, 5);
    expect(problems).toHaveLength(37);
    expect(new Set(problems.map((p) => p.prompt + p.answer)).size).toBe(37);
    for (const p of problems) expect(splitOf(`${p.prompt}${p.answer};\n`)).toBe('heldout');
    for (const split of ['train', 'heldout'] as const) {
      const docs = take(documents('arith', split, 7), 50);
      expect(docs).toHaveLength(50);
      for (const doc of docs) {
        const ls = lines(doc);
        expect(ls.length).toBeGreaterThanOrEqual(3);
        expect(ls.length).toBeLessThanOrEqual(8);
        for (const l of ls) expect(l).toMatch(/^\d+[+\-*]\d+=-?\d+;\n$/);
      }
    }
  });

  it('other domains keep the document-level split', () => {
    for (const split of ['train', 'heldout'] as const) {
      for (const doc of take(documents('code', split, 1), 30)) expect(splitOf(doc)).toBe(split);
      for (const doc of take(documents('wiki', split, 1), 30)) expect(splitOf(doc)).toBe(split);
    }
    const mixed = take(documents('mixed', 'train', 1), 20);
    for (const doc of mixed) expect(doc).toHaveLength(128);
  });
});
