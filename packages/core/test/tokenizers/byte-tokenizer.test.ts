import { describe, expect, it } from 'vitest';
import { ByteTokenizer, LabError, Rng, tokenizerFromJSON } from '../../src/index.js';
import { randomText } from './random-text.js';

describe('ByteTokenizer', () => {
  const tok = new ByteTokenizer();

  it('maps text to its UTF-8 bytes and special tokens after 256', () => {
    expect(tok.vocabSize).toBe(259);
    expect([tok.padId, tok.bosId, tok.eosId, tok.unkId]).toEqual([256, 257, 258, null]);
    expect(tok.encode('hé<eos>')).toEqual([104, 195, 169, 258]);
    expect(tok.encode('hé<eos>', { specialTokens: 'plain' })).toEqual([
      104,
      195,
      169,
      ...Buffer.from('<eos>'),
    ]);
    expect(tok.encode('a', { addBos: true, addEos: true })).toEqual([257, 97, 258]);
    expect(tok.specialTokenId('<pad>')).toBe(256);
    expect(tok.specialTokenId('eos')).toBe(258);
    expect(() => tok.specialTokenId('<sep>')).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_NO_SPECIAL' }),
    );
  });

  it('round-trips random unicode strings, in both special-token modes', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 300; i++) {
      const s = randomText(rng) + (i % 3 === 0 ? '<bos>' : '') + randomText(rng, 5);
      const ids = tok.encode(s);
      expect(ids).toEqual(i % 3 === 0 ? expect.arrayContaining([257]) : ids);
      expect(tok.decode(ids)).toBe(s);
      const plain = tok.encode(s, { specialTokens: 'plain' });
      expect(plain.every((id) => id < 256)).toBe(true);
      expect(Buffer.from(plain).toString('utf8')).toBe(s);
      expect(tok.decode(plain)).toBe(s);
    }
  });

  it('decodes a cut character to U+FFFD without throwing', () => {
    const ids = tok.encode('😀'); // 4 bytes
    expect(ids).toHaveLength(4);
    expect(tok.decode(ids.slice(0, 3))).toBe('\uFFFD');
    expect(tok.decode([...ids.slice(0, 2), 97])).toBe('\uFFFDa');
    expect(tok.decode([0xff, 0xfe])).toBe('\uFFFD\uFFFD');
  });

  it('skips special tokens on request and rejects unknown ids', () => {
    expect(tok.decode([257, 104, 105, 258], { skipSpecialTokens: true })).toBe('hi');
    expect(tok.decode([257, 104, 105, 258])).toBe('<bos>hi<eos>');
    expect(() => tok.decode([104, 259])).toThrow(
      expect.objectContaining({
        code: 'TOKEN_ID_OUT_OF_RANGE',
        context: expect.objectContaining({ index: 1 }),
      }),
    );
    expect(() => tok.decode([1.5])).toThrow(LabError);
    expect(() => tok.decode([-1])).toThrow(LabError);
  });

  it('user-defined special tokens, longest match first', () => {
    const t = new ByteTokenizer({ specialTokens: { pad: null, extra: ['<s>', '<sep>'] } });
    expect(t.padId).toBeNull();
    expect([...t.specialTokens]).toEqual([
      ['<bos>', 256],
      ['<eos>', 257],
      ['<s>', 258],
      ['<sep>', 259],
    ]);
    expect(t.encode('a<sep>b<s>')).toEqual([97, 259, 98, 258]);
    expect(t.isSpecial(259)).toBe(true);
    expect(t.isSpecial(98)).toBe(false);
    expect(() => new ByteTokenizer({ specialTokens: { extra: [''] } })).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_CONFIG' }),
    );
  });

  it('offsets point at the characters each byte came from', () => {
    const s = 'aé😀<eos>b';
    const { ids, offsets } = tok.encodeWithOffsets(s);
    expect(ids).toEqual(tok.encode(s));
    expect(offsets).toEqual([
      [0, 1],
      [1, 2],
      [1, 2],
      [2, 4],
      [2, 4],
      [2, 4],
      [2, 4],
      [4, 9],
      [9, 10],
    ]);
  });

  it('tokenBytes concatenate to the text', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 50; i++) {
      const s = randomText(rng) + '<eos>';
      const bytes = tok.encode(s).flatMap((id) => [...tok.tokenBytes(id)]);
      expect(Buffer.from(bytes).toString('utf8')).toBe(s);
    }
  });

  it('survives JSON', async () => {
    const t = new ByteTokenizer({ specialTokens: { unk: '<unk>', extra: ['<x>'] } });
    const copy = await tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(copy).toBeInstanceOf(ByteTokenizer);
    expect([...copy.specialTokens]).toEqual([...t.specialTokens]);
    expect(copy.encode('q<x><unk>')).toEqual(t.encode('q<x><unk>'));
    expect(ByteTokenizer.fromJSON(t.toJSON()).vocabSize).toBe(t.vocabSize);
    await expect(tokenizerFromJSON({ kind: 'byte', version: 2 })).rejects.toMatchObject({
      code: 'TOKENIZER_JSON',
    });
  });
});

describe('ByteTokenizer on long text', () => {
  it('encodes a megabyte with offsets', () => {
    const tok = new ByteTokenizer();
    const s = 'héllo wörld 😀 '.repeat(60_000); // ~1.1 MB of UTF-8
    const { ids, offsets } = tok.encodeWithOffsets(s);
    expect(ids.length).toBe(Buffer.byteLength(s));
    expect(offsets.length).toBe(ids.length);
    expect(offsets.at(-1)).toEqual([s.length - 1, s.length]);
    expect(tok.decode(ids)).toBe(s);
  });
});
