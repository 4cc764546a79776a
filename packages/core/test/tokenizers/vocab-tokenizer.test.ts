import { describe, expect, it } from 'vitest';
import { DEFAULT_WORD_PATTERN, Rng, tokenizerFromJSON, VocabTokenizer } from '../../src/index.js';
import { randomText } from './random-text.js';

const CORPUS = ['the cat sat on the mat.', 'the dog sat', 'a cat, a dog!', 'The end'];

describe('VocabTokenizer', () => {
  it('builds a word vocabulary by frequency, ties in code-unit order, specials first', () => {
    const tok = VocabTokenizer.fromCorpus(CORPUS, { level: 'word' });
    // counts: the 3, a 2, cat 2, dog 2, sat 2, then singles sorted: ! , . The end mat on
    expect(tok.decode(Array.from({ length: tok.vocabSize - 4 }, (_, i) => i + 4))).toBe(
      'the a cat dog sat ! , . The end mat on',
    );
    expect([tok.padId, tok.bosId, tok.eosId, tok.unkId]).toEqual([0, 1, 2, 3]);
    expect(tok.encode('the cat sat.')).toEqual([4, 6, 8, 11]);
    expect(tok.encode('the bird')).toEqual([4, 3]);
    expect(tok.decode(tok.encode('the bird'))).toBe('the <unk>');
    expect(tok.decode(tok.encode('<bos> the bird <eos>'), { skipSpecialTokens: true })).toBe('the');
  });

  it('is deterministic: the order of the corpus does not matter', () => {
    const rng = new Rng(3);
    const words = ['x', 'y', 'z', 'w', 'v', 'uu', 'tt'];
    const texts = Array.from({ length: 200 }, () =>
      Array.from({ length: 1 + rng.nextInt(6) }, () => rng.choice(words)).join(' '),
    );
    const a = VocabTokenizer.fromCorpus(texts, { level: 'word' });
    const b = VocabTokenizer.fromCorpus(rng.shuffle(texts), { level: 'word' });
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    // frequencies really are non-increasing
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of t.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
    const order = a.toJSON().tokens.map((t) => counts.get(t)!);
    expect(order).toEqual([...order].sort((x, y) => y - x));
  });

  it('applies minFrequency and maxVocabSize', () => {
    const tok = VocabTokenizer.fromCorpus(CORPUS, { level: 'word', minFrequency: 2 });
    expect(tok.toJSON().tokens).toEqual(['the', 'a', 'cat', 'dog', 'sat']);
    const small = VocabTokenizer.fromCorpus(CORPUS, { level: 'word', maxVocabSize: 6 });
    expect(small.vocabSize).toBe(6);
    expect(small.toJSON().tokens).toEqual(['the', 'a']);
    expect(() => VocabTokenizer.fromCorpus(CORPUS, { level: 'word', maxVocabSize: 2 })).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_CONFIG' }),
    );
  });

  it('char level round-trips any text made of known characters', () => {
    const rng = new Rng(4);
    const texts = Array.from({ length: 100 }, () => randomText(rng));
    const tok = VocabTokenizer.fromCorpus(texts, { level: 'char' });
    for (const s of texts) {
      const ids = tok.encode(s);
      expect(ids).toHaveLength([...s].length);
      expect(ids).not.toContain(tok.unkId);
      expect(tok.decode(ids)).toBe(s);
    }
    // An emoji outside the vocabulary is one unknown token, not two halves.
    const fresh = VocabTokenizer.fromTokens(['a'], { level: 'char' });
    expect(fresh.encode('a🦀a')).toEqual([4, 3, 4]);
  });

  it('word level: decode(encode) normalises spacing; encode(decode) is the identity', () => {
    const tok = VocabTokenizer.fromCorpus(CORPUS, { level: 'word' });
    const rng = new Rng(5);
    for (let i = 0; i < 100; i++) {
      const ids = Array.from({ length: rng.nextInt(12) }, () => rng.nextInt(tok.vocabSize));
      expect(tok.encode(tok.decode(ids))).toEqual(ids);
    }
    expect(tok.decode(tok.encode('  the\tcat,\n dog '))).toBe('the cat , dog');
  });

  it('without an unk token, unknown text is an error naming the token and offset', () => {
    const tok = VocabTokenizer.fromCorpus(CORPUS, { level: 'word', specialTokens: { unk: null } });
    expect(tok.unkId).toBeNull();
    expect(() => tok.encode('the zebra')).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_UNKNOWN_TOKEN', context: { token: 'zebra', offset: 4 } }),
    );
  });

  it('rejects bad vocabularies', () => {
    const bad =
      (tokens: string[], level: 'char' | 'word' = 'word') =>
      () =>
        VocabTokenizer.fromTokens(tokens, { level });
    expect(bad(['a', 'a'])).toThrow(expect.objectContaining({ code: 'TOKENIZER_CONFIG' }));
    expect(bad(['a', ''])).toThrow(expect.objectContaining({ code: 'TOKENIZER_CONFIG' }));
    expect(bad(['<eos>'])).toThrow(expect.objectContaining({ code: 'TOKENIZER_CONFIG' }));
    expect(bad(['ab'], 'char')).toThrow(expect.objectContaining({ code: 'TOKENIZER_CONFIG' }));
    expect(() => VocabTokenizer.fromTokens(['a'], { level: 'word', wordPattern: '(' })).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_CONFIG' }),
    );
  });

  it('offsets give each word its range, special tokens included', () => {
    const tok = VocabTokenizer.fromCorpus(CORPUS, { level: 'word' });
    const s = 'the  cat,<eos>zebra';
    const { ids, offsets } = tok.encodeWithOffsets(s);
    expect(ids).toEqual(tok.encode(s));
    expect(offsets.map(([a, b]) => s.slice(a, b))).toEqual(['the', 'cat', ',', '<eos>', 'zebra']);
  });

  it('user-defined special tokens and a custom word pattern survive JSON', async () => {
    const tok = VocabTokenizer.fromCorpus(["Tom Cruise 's mother"], {
      level: 'word',
      wordPattern: '\\S+',
      specialTokens: { extra: ['<sep>'] },
    });
    expect(tok.wordPattern).not.toBe(DEFAULT_WORD_PATTERN);
    expect(tok.decode(tok.encode("Tom <sep> 's"))).toBe("Tom <sep> 's");
    const copy = await tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(copy.toJSON()).toEqual(tok.toJSON());
    expect(copy.encode("mother 's Tom <sep>")).toEqual(tok.encode("mother 's Tom <sep>"));
    expect(copy.specialTokenId('<sep>')).toBe(4);
  });
});
