import { ByteTokenizer, Rng, TiktokenTokenizer, VocabTokenizer } from '@lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompromiseTagger,
  encodeWords,
  groupTokenIds,
  planReversal,
  reverseIds,
  reverseText,
  reverseWords,
  splitWords,
} from '../src/index.js';

const LEXICON = [
  'Tom',
  'Cruise',
  "'s",
  'mother',
  'is',
  'Mary',
  'Lee',
  'Pfeiffer',
  '.',
  ',',
  'naïve',
  'x1',
  '42',
  'über',
  '日本',
  'a-b',
  '🙂',
];

/** Random word list, random disjoint entity spans over it. */
function randomDoc(rng: Rng): { words: string[]; entities: Array<[number, number]> } {
  const n = rng.intBetween(0, 14);
  const words = Array.from({ length: n }, () => rng.choice(LEXICON));
  const entities: Array<[number, number]> = [];
  for (let at = 0; at < n; ) {
    if (rng.bernoulli(0.3)) {
      const len = rng.intBetween(1, Math.min(4, n - at));
      entities.push([at, at + len]);
      at += len;
    } else at++;
  }
  return { words, entities };
}

describe('splitWords', () => {
  it('splits punctuation and clitics and keeps offsets', () => {
    const text = "Tom Cruise's mother, Mary-Lee.";
    const { words, offsets } = splitWords(text);
    expect(words).toEqual(['Tom', 'Cruise', "'s", 'mother', ',', 'Mary-Lee', '.']);
    expect(offsets.map(([s, e]) => text.slice(s, e))).toEqual(words);
  });
});

describe('reverseWords properties on random docs', () => {
  const rng = new Rng('words-prop');
  const docs = Array.from({ length: 300 }, () => randomDoc(rng));

  it('token and word reversal: twice gives the original; once is the reversed list', () => {
    for (const { words } of docs) {
      for (const mode of ['token', 'word'] as const) {
        const once = reverseWords(words, mode).words;
        expect(once).toEqual([...words].reverse());
        expect(reverseWords(once, mode).words).toEqual(words);
      }
    }
  });

  it('entity reversal keeps every span intact and in order, units reversed, and twice is identity', () => {
    for (const { words, entities } of docs) {
      const once = reverseWords(words, 'entity', { entities });
      expect(once.entities.length).toBe(entities.length);
      // Entities appear in reversed order, each with its words in forward order.
      const expected = [...entities].reverse().map(([s, e]) => words.slice(s, e).join(' '));
      expect(once.entities.map(([s, e]) => once.words.slice(s, e).join(' '))).toEqual(expected);
      const twice = reverseWords(once.words, 'entity', { entities: once.entities });
      expect(twice.words).toEqual(words);
      expect(twice.entities).toEqual(entities);
    }
  });

  it('segment(k): segments cover the words exactly, lengths in 1..k, order reversed', () => {
    for (const [i, { words }] of docs.entries()) {
      const k = (i % 5) + 1;
      const plan = planReversal(words.length, { mode: 'segment', k, resample: 'per-epoch' }, [], {
        seed: 1,
        docId: i,
      });
      const covered = [...plan.blocks].reverse();
      let at = 0;
      for (const [s, e] of covered) {
        expect(s).toBe(at);
        expect(e - s).toBeGreaterThanOrEqual(1);
        expect(e - s).toBeLessThanOrEqual(k);
        at = e;
      }
      expect(at).toBe(words.length);
      const out = reverseWords(words, { mode: 'segment', k }, { seed: 1, docId: i }).words;
      expect(out).toEqual(plan.blocks.flatMap(([s, e]) => words.slice(s, e)));
      expect([...out].sort()).toEqual([...words].sort());
    }
  });

  it('segment(1) equals word reversal', () => {
    for (const { words } of docs) {
      expect(reverseWords(words, { mode: 'segment', k: 1 }).words).toEqual(reverseWords(words, 'word').words);
    }
  });

  it('segment resampling: per-epoch changes with the epoch, fixed does not; same inputs, same cut', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const cut = (resample: 'per-epoch' | 'fixed', epoch: number) =>
      reverseWords(words, { mode: 'segment', k: 5, resample }, { seed: 7, docId: 'd', epoch }).words.join(
        ' ',
      );
    expect(cut('per-epoch', 0)).toBe(cut('per-epoch', 0));
    expect(new Set([0, 1, 2, 3].map((e) => cut('per-epoch', e))).size).toBeGreaterThan(1);
    expect(new Set([0, 1, 2, 3].map((e) => cut('fixed', e))).size).toBe(1);
  });

  it('segment separator sits between segments only', () => {
    const words = ['a', 'b', 'c', 'd', 'e'];
    const out = reverseWords(words, { mode: 'segment', k: 2, separator: '|' }, { seed: 3 }).words;
    expect(out[0]).not.toBe('|');
    expect(out[out.length - 1]).not.toBe('|');
    expect(out.filter((w) => w !== '|').join('')).not.toBe('');
    const segs = out
      .join(' ')
      .split(' | ')
      .map((s) => s.split(' '));
    expect(segs.flat().sort()).toEqual(words);
    expect([...segs].reverse().flat()).toEqual(words);
  });

  it('rejects overlapping entity spans with a stable code', () => {
    expect(() =>
      reverseWords(['a', 'b', 'c'], 'entity', {
        entities: [
          [0, 2],
          [1, 3],
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'ENTITY_SPANS_INVALID' }));
  });
});

describe('reverseText', () => {
  it('entity reversal with the spec example', () => {
    const text = "Tom Cruise's mother is Mary Lee Pfeiffer";
    expect(
      reverseText(text, 'entity', {
        entities: [
          [0, 2],
          [5, 8],
        ],
      }),
    ).toBe("Mary Lee Pfeiffer is mother 's Tom Cruise");
  });

  it('the compromise tagger finds names, places and organisations offline', () => {
    const tagger = new CompromiseTagger();
    const text = "Tom Cruise's mother is Mary Lee Pfeiffer. Barack Obama worked for Google in New York City.";
    const found = tagger.tag(text).map(([s, e]) => text.slice(s, e));
    for (const name of ['Tom Cruise', 'Mary Lee Pfeiffer', 'Barack Obama', 'Google', 'New York City']) {
      expect(found).toContain(name);
    }
    expect(reverseText("Tom Cruise's mother is Mary Lee Pfeiffer", 'entity', { tagger })).toBe(
      "Mary Lee Pfeiffer is mother 's Tom Cruise",
    );
  });
});

describe('token-id reversal', () => {
  let tiktoken: TiktokenTokenizer;
  beforeAll(async () => {
    tiktoken = await TiktokenTokenizer.load('cl100k_base');
  });
  const byte = new ByteTokenizer();
  const vocab = VocabTokenizer.fromCorpus([LEXICON.join(' ')], { level: 'word' });
  afterAll(() => tiktoken.dispose());
  const rng = new Rng('ids-prop');
  const docs = Array.from({ length: 120 }, () => randomDoc(rng));
  // A word-level vocabulary's tokens are its words: keep to words it encodes as one token.
  const oneTokenDocs = docs.map(({ words, entities }) => ({
    words: words.map((w) => (vocab.encode(w).length === 1 ? w : 'is')),
    entities,
  }));

  for (const name of ['tiktoken', 'byte', 'vocab'] as const) {
    const setup = () => {
      const tok = name === 'tiktoken' ? tiktoken : name === 'byte' ? byte : vocab;
      return { tok, docs: name === 'vocab' ? oneTokenDocs : docs };
    };
    it(`${name}: word/entity reversal of per-word ids moves whole words and round-trips`, () => {
      const { tok, docs } = setup();
      for (const { words, entities } of docs) {
        const { ids, wordStarts } = encodeWords(words, tok);
        const pieces = words.map((_, w) => ids.slice(wordStarts[w], wordStarts[w + 1] ?? ids.length));
        const once = reverseIds(ids, tok, 'word');
        expect(once).toEqual([...pieces].reverse().flat());
        expect(reverseIds(once, tok, 'word')).toEqual(ids);
        // Entity reversal on ids equals encoding the entity-reversed words.
        const rw = reverseWords(words, 'entity', { entities });
        const eids = reverseIds(ids, tok, 'entity', { entities });
        expect(eids).toEqual(encodeWords(rw.words, tok).ids);
        expect(reverseIds(eids, tok, 'entity', { entities: rw.entities })).toEqual(ids);
        // Token reversal twice is identity.
        expect(reverseIds(reverseIds(ids, tok, 'token'), tok, 'token')).toEqual(ids);
      }
    });

    it(`${name}: segment reversal on ids agrees with segment reversal on words`, () => {
      const { tok, docs } = setup();
      for (const [i, { words }] of docs.entries()) {
        const ids = encodeWords(words, tok).ids;
        const r = { mode: 'segment' as const, k: 3 };
        expect(reverseIds(ids, tok, r, { seed: 5, docId: i })).toEqual(
          encodeWords(reverseWords(words, r, { seed: 5, docId: i }).words, tok).ids,
        );
      }
    });
  }

  it('tiktoken: naturally encoded text is grouped by word without splitting multi-token words', () => {
    const text = 'Pfeiffer naïvely über 日本 🙂, unbelievable!';
    const ids = tiktoken.encode(text);
    const g = groupTokenIds(ids, tiktoken);
    expect(g.wordCount).toBe(splitWords(text).words.length);
    // Concatenating units in order is the original; each unit decodes to whole words.
    expect(g.units.flatMap((u) => ids.slice(u.start, u.end))).toEqual(ids);
    const words = splitWords(text).words;
    for (const u of g.units) {
      expect(tiktoken.decode(ids.slice(u.start, u.end)).trim()).toBe(
        words.slice(u.words[0], u.words[1]).join(''),
      );
    }
    const rev = reverseIds(ids, tiktoken, 'word');
    expect(rev.length).toBe(ids.length);
    expect(splitWords(tiktoken.decode(rev)).words.join('')).toBe([...words].reverse().join(''));
  });

  it('special tokens never move (all modes, all tokenizers)', () => {
    const bos = vocab.specialTokenId('bos');
    const eos = vocab.specialTokenId('eos');
    const pad = vocab.specialTokenId('pad');
    for (const { words, entities } of oneTokenDocs.slice(0, 60)) {
      const body = encodeWords(words, vocab).ids;
      const cut = Math.floor(body.length / 2);
      const ids = [bos, ...body.slice(0, cut), eos, bos, ...body.slice(cut), eos, pad, pad];
      const specialAt = ids.map((id, i) => (vocab.isSpecial(id) ? i : -1)).filter((i) => i >= 0);
      for (const mode of [
        'token',
        'word',
        { mode: 'segment', k: 2 },
        { mode: 'segment', k: 2, separator: 'x1' },
      ] as const) {
        const out = reverseIds(ids, vocab, mode, { seed: 2 });
        if (typeof mode === 'object' && 'separator' in mode) {
          expect(out.filter((id) => vocab.isSpecial(id))).toEqual(specialAt.map((i) => ids[i]));
        } else {
          for (const i of specialAt) expect(out[i]).toBe(ids[i]);
          expect(out.length).toBe(ids.length);
        }
      }
      // Entity spans that stay inside one run between specials.
      const inRun = entities.filter(([s, e]) => e <= cut || s >= cut);
      const out = reverseIds(ids, vocab, 'entity', { entities: inRun });
      for (const i of specialAt) expect(out[i]).toBe(ids[i]);
    }
  });
});
