import { get_encoding } from 'tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, TiktokenTokenizer, tokenizerFromJSON } from '../../src/index.js';
import { randomText } from './random-text.js';

describe('TiktokenTokenizer', () => {
  let cl: TiktokenTokenizer;
  let o200: TiktokenTokenizer;
  beforeAll(async () => {
    cl = await TiktokenTokenizer.load('cl100k_base');
    o200 = await TiktokenTokenizer.load('o200k_base');
  });
  afterAll(() => {
    cl.dispose();
    o200.dispose();
  });

  it('gives the well-known ids', () => {
    // The tiktoken README's example: "hello world" is [15339, 1917] in cl100k_base.
    expect(cl.encode('hello world')).toEqual([15339, 1917]);
    expect(cl.encode('Hello, world!')).toEqual([9906, 11, 1917, 0]);
    expect(o200.encode('hello world')).toEqual([24912, 2375]);
    expect(cl.encode('<|endoftext|>')).toEqual([100257]);
    expect(o200.encode('<|endoftext|>')).toEqual([199999]);
    expect(cl.vocabSize).toBe(100277);
    expect(o200.vocabSize).toBe(200019);
    expect(cl.eosId).toBe(100257);
    expect(cl.bosId).toBe(100257);
    expect(cl.padId).toBeNull();
  });

  it('matches the tiktoken package on random text, both special-token modes', () => {
    const ref = get_encoding('cl100k_base');
    try {
      const rng = new Rng(6);
      for (let i = 0; i < 100; i++) {
        const s = randomText(rng) + (i % 4 === 0 ? '<|endoftext|>' : '') + randomText(rng, 10);
        expect(cl.encode(s)).toEqual(Array.from(ref.encode(s, 'all')));
        expect(cl.encode(s, { specialTokens: 'plain' })).toEqual(Array.from(ref.encode_ordinary(s)));
        expect(cl.decode(cl.encode(s))).toBe(s);
        expect(cl.decode(cl.encode(s, { specialTokens: 'plain' }))).toBe(s);
      }
    } finally {
      ref.free();
    }
  });

  it('the built-in rank counts are right: the last rank decodes, gaps are rejected', () => {
    for (const [tok, name] of [
      [cl, 'cl100k_base'],
      [o200, 'o200k_base'],
    ] as const) {
      const ref = get_encoding(name);
      try {
        const ranks = ref.token_byte_values().length;
        expect(tok.tokenBytes(ranks - 1)).toEqual(ref.decode_single_token_bytes(ranks - 1));
      } finally {
        ref.free();
      }
    }
    // 100256 is unused in cl100k_base: passing it to the wasm decoder would trap.
    expect(() => cl.decode([100256])).toThrow(expect.objectContaining({ code: 'TOKEN_ID_OUT_OF_RANGE' }));
    expect(() => cl.tokenBytes(100277)).toThrow(expect.objectContaining({ code: 'TOKEN_ID_OUT_OF_RANGE' }));
    expect(cl.decode([15339, 1917])).toBe('hello world'); // the encoder still works
  });

  it('decodes a cut multi-byte character to U+FFFD', () => {
    const ids = cl.encode('🦀');
    expect(ids.length).toBeGreaterThan(1);
    expect(cl.decode(ids.slice(0, 1))).toContain('\uFFFD');
    expect(cl.decode(ids)).toBe('🦀');
  });

  it('offsets: token bytes add up and each range covers its token', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 50; i++) {
      const s = randomText(rng) + ' word<|endoftext|>';
      const { ids, offsets } = cl.encodeWithOffsets(s);
      expect(ids).toEqual(cl.encode(s));
      const bytes = ids.flatMap((id) => [...cl.tokenBytes(id)]);
      expect(Buffer.from(bytes).toString('utf8')).toBe(s);
      for (let k = 0; k < ids.length; k++) {
        const [a, b] = offsets[k]!;
        expect(b).toBeGreaterThan(a);
        if (k > 0) expect(a).toBeGreaterThanOrEqual(offsets[k - 1]![0]);
        // A token whose bytes are whole characters maps to exactly that text.
        const text = Buffer.from(cl.tokenBytes(ids[k]!)).toString('utf8');
        if (!text.includes('\uFFFD')) expect(s.slice(a, b)).toBe(text);
      }
    }
    const { offsets } = cl.encodeWithOffsets('hello world');
    expect(offsets).toEqual([
      [0, 5],
      [5, 11],
    ]);
  });

  it('adds special tokens after the encoding and survives JSON', async () => {
    const tok = await TiktokenTokenizer.load('cl100k_base', {
      specialTokens: { pad: '<|pad|>', extra: ['<|sep|>'] },
    });
    try {
      expect(tok.padId).toBe(100277);
      expect(tok.specialTokenId('<|sep|>')).toBe(100278);
      expect(tok.vocabSize).toBe(100279);
      expect(tok.encode('a<|sep|>b<|pad|>')).toEqual([64, 100278, 65, 100277]);
      expect(tok.decode([64, 100278, 65])).toBe('a<|sep|>b');
      const copy = await tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
      try {
        expect(copy.encode('a<|sep|>b<|pad|>')).toEqual(tok.encode('a<|sep|>b<|pad|>'));
        expect(copy.vocabSize).toBe(tok.vocabSize);
      } finally {
        copy.dispose();
      }
    } finally {
      tok.dispose();
    }
  });

  it('dispose frees the encoder; later use is a clear error', async () => {
    const tok = await TiktokenTokenizer.load('o200k_base');
    tok.dispose();
    expect(() => tok.encode('x')).toThrow(expect.objectContaining({ code: 'TOKENIZER_DISPOSED' }));
    tok.dispose(); // idempotent
  });
});
