import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteTokenizer, Rng, StreamingDecoder, TiktokenTokenizer, VocabTokenizer } from '../../src/index.js';
import { randomText } from './random-text.js';

describe('StreamingDecoder', () => {
  let cl: TiktokenTokenizer;
  beforeAll(async () => {
    cl = await TiktokenTokenizer.load('cl100k_base');
  });
  afterAll(() => cl.dispose());

  it('streams exactly the decoded text, never a half character', () => {
    const rng = new Rng(11);
    for (const tok of [new ByteTokenizer(), cl]) {
      for (let i = 0; i < 40; i++) {
        const s = randomText(rng) + '<|endoftext|><eos>';
        const ids = tok.encode(s);
        const stream = new StreamingDecoder(tok);
        const pieces = ids.map((id) => stream.push(id));
        pieces.push(stream.flush());
        expect(pieces.join('')).toBe(tok.decode(ids));
        for (const p of pieces) expect(p).not.toContain('\uFFFD');
      }
    }
  });

  it('holds bytes of an unfinished character until it completes', () => {
    const tok = new ByteTokenizer();
    const stream = new StreamingDecoder(tok);
    const [a, b, c, d] = tok.encode('😀');
    expect([stream.push(a!), stream.push(b!), stream.push(c!)]).toEqual(['', '', '']);
    expect(stream.push(d!)).toBe('😀');
    stream.push(0xe6); // first byte of a 3-byte character, never finished
    expect(stream.flush()).toBe('\uFFFD');
  });

  it('puts spaces between words for a word-level vocabulary and can skip specials', () => {
    const tok = VocabTokenizer.fromCorpus(['the cat sat'], { level: 'word' });
    const ids = tok.encode('<bos> the cat sat <eos>');
    const stream = new StreamingDecoder(tok, { skipSpecialTokens: true });
    const text = ids.map((id) => stream.push(id)).join('') + stream.flush();
    expect(text).toBe(tok.decode(ids, { skipSpecialTokens: true }));
    expect(text).toBe('the cat sat');
  });
});
