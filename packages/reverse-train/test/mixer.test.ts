import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, VocabTokenizer } from '@lab/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompromiseTagger,
  countMix,
  type Doc,
  DocSchema,
  type MixedSample,
  mixStream,
  readJsonlShards,
  writeMixedJsonl,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'reverse-train-mix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeDocs(n: number, seed: string): Doc[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = rng.intBetween(3, 12);
    const words = Array.from({ length: len }, () => `w${rng.nextInt(50)}`);
    return { id: `d${i}`, text: words.join(' '), entities: [[0, Math.min(2, len)]] };
  });
}

async function collect(stream: AsyncIterable<MixedSample>): Promise<MixedSample[]> {
  const out: MixedSample[] = [];
  for await (const s of stream) out.push(s);
  return out;
}

describe('mixStream budgets', () => {
  const docs = makeDocs(101, 'budget');
  const words = docs.reduce((n, d) => n + d.text.split(' ').length, 0);

  it('standard: E passes forward only, the same under both budgets', async () => {
    for (const budget of ['data', 'compute'] as const) {
      const c = await countMix(mixStream(docs, { reversal: { mode: 'none' }, budget, epochs: 4 }));
      expect(c.samples).toEqual({ forward: 404, reverse: 0, total: 404 });
      expect(c.tokens.total).toBe(4 * words);
    }
  });

  it('data-matched: every doc forward and reversed in every pass (twice the tokens)', async () => {
    const samples = await collect(
      mixStream(docs, { reversal: { mode: 'entity' }, budget: 'data', epochs: 4 }),
    );
    const c = await countMix(samples);
    expect(c.samples).toEqual({ forward: 404, reverse: 404, total: 808 });
    expect(c.tokens).toEqual({ forward: 4 * words, reverse: 4 * words, total: 8 * words });
    for (let e = 0; e < 4; e++) {
      const ids = samples.filter((s) => s.epoch === e && s.direction === 'reverse').map((s) => s.docId);
      expect(new Set(ids).size).toBe(101);
    }
  });

  it('compute-matched: even E halves the passes; odd E adds a pass over half the docs; tokens match standard', async () => {
    const even = await countMix(
      mixStream(docs, { reversal: { mode: 'word' }, budget: 'compute', epochs: 4 }),
    );
    expect(even.samples).toEqual({ forward: 202, reverse: 202, total: 404 });
    expect(even.tokens.total).toBe(4 * words);
    const single = await collect(
      mixStream(docs, { reversal: { mode: 'word' }, budget: 'compute', epochs: 1 }),
    );
    const sc = await countMix(single);
    // Single pass: N/2 unique docs (every other one), each forward and reversed.
    expect(sc.samples).toEqual({ forward: 51, reverse: 51, total: 102 });
    expect(new Set(single.map((s) => s.docId)).size).toBe(51);
    const halfWords = docs.filter((_, i) => i % 2 === 0).reduce((n, d) => n + d.text.split(' ').length, 0);
    expect(sc.tokens.total).toBe(2 * halfWords);
    const three = await countMix(
      mixStream(docs, { reversal: { mode: 'word' }, budget: 'compute', epochs: 3 }),
    );
    expect(three.samples.total).toBe(2 * 101 + 102);
  });

  it('counts tokens with a tokenizer', async () => {
    const tok = VocabTokenizer.fromCorpus(
      docs.map((d) => d.text),
      { level: 'word' },
    );
    const c = await countMix(mixStream(docs, { reversal: { mode: 'word' }, epochs: 1 }, { tokenizer: tok }));
    expect(c.tokens.total).toBe(2 * words);
  });

  it('interleaves directions at random, not in blocks, and is deterministic given the seed', async () => {
    const a = await collect(mixStream(docs, { reversal: { mode: 'word' }, epochs: 2, seed: 9 }));
    const b = await collect(mixStream(docs, { reversal: { mode: 'word' }, epochs: 2, seed: 9 }));
    expect(a).toEqual(b);
    // Runs of equal direction: about n/2 for a random order; blocks would give 2.
    let runs = 1;
    for (let i = 1; i < a.length; i++) if (a[i]!.direction !== a[i - 1]!.direction) runs++;
    expect(runs).toBeGreaterThan(a.length / 3);
    const c = await collect(mixStream(docs, { reversal: { mode: 'word' }, epochs: 2, seed: 10 }));
    expect(c.map((s) => s.text)).not.toEqual(a.map((s) => s.text));
  });

  it('reverseFraction and directionTag extensions', async () => {
    const c = await countMix(
      mixStream(docs, { reversal: { mode: 'word' }, epochs: 1, reverseFraction: 0.25 }),
    );
    expect(c.samples.forward).toBe(101);
    expect(c.samples.reverse).toBeGreaterThan(30);
    expect(c.samples.reverse).toBeLessThan(75);
    const tagged = await collect(
      mixStream(docs, {
        reversal: { mode: 'word' },
        epochs: 1,
        directionTag: { forward: '<f>', reverse: '<r>' },
      }),
    );
    for (const s of tagged) expect(s.text.startsWith(s.direction === 'forward' ? '<f> ' : '<r> ')).toBe(true);
  });

  it('entity mode tags free text with a tagger, and says so when it has neither spans nor a tagger', async () => {
    const free = [{ id: 'x', text: "Tom Cruise's mother is Mary Lee Pfeiffer ." }];
    const out = await collect(
      mixStream(free, { reversal: { mode: 'entity' }, epochs: 1 }, { tagger: new CompromiseTagger() }),
    );
    expect(out.find((s) => s.direction === 'reverse')!.text).toBe(
      ". Mary Lee Pfeiffer is mother 's Tom Cruise",
    );
    await expect(collect(mixStream(free, { reversal: { mode: 'entity' }, epochs: 1 }))).rejects.toMatchObject(
      {
        code: 'ENTITY_SPANS_MISSING',
      },
    );
  });

  it('refuses a one-shot iterator for several passes', async () => {
    const once = docs[Symbol.iterator]();
    await expect(
      collect(mixStream(() => once, { reversal: { mode: 'word' }, epochs: 2 })),
    ).rejects.toMatchObject({
      code: 'MIX_EMPTY_SOURCE',
    });
  });
});

describe('JSONL streaming', () => {
  it('round-trips shards and reports file and line on bad records', async () => {
    const docs = makeDocs(30, 'jsonl');
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    const ca = await writeMixedJsonl(a, mixStream(docs.slice(0, 10), { reversal: { mode: 'none' } }));
    expect(ca.samples.total).toBe(10);
    const out: Doc[] = [];
    for await (const d of readJsonlShards([a], DocSchema)) out.push(d);
    expect(out.map((d) => d.text).sort()).toEqual(
      docs
        .slice(0, 10)
        .map((d) => d.text)
        .sort(),
    );
    // Shards are chained in the order given.
    await writeMixedJsonl(b, mixStream(docs.slice(10, 15), { reversal: { mode: 'none' } }));
    const chained: Doc[] = [];
    for await (const d of readJsonlShards([a, b], DocSchema)) chained.push(d);
    expect(chained.slice(0, 10).map((d) => d.text)).toEqual(out.map((d) => d.text));
    expect(
      chained
        .slice(10)
        .map((d) => d.text)
        .sort(),
    ).toEqual(
      docs
        .slice(10, 15)
        .map((d) => d.text)
        .sort(),
    );
    const bad = join(dir, 'bad.jsonl');
    createWriteStream(bad).end('{"text":"ok"}\n\n{"text": 3}\n');
    await new Promise((r) => setTimeout(r, 50));
    await expect(collect2(readJsonlShards([bad], DocSchema))).rejects.toMatchObject({
      code: 'JSONL_SCHEMA',
      context: { file: bad, line: 3 },
    });
  });

  it('streams a large shard through the mixer in constant memory', async () => {
    const input = join(dir, 'big.jsonl');
    const output = join(dir, 'big-mixed.jsonl');
    const docs = 15_000;
    const out = createWriteStream(input);
    const rng = new Rng('big');
    for (let i = 0; i < docs; i++) {
      const words = Array.from({ length: 100 }, () => `word${rng.nextInt(1000)}`);
      if (!out.write(`${JSON.stringify({ id: i, text: words.join(' ') })}\n`)) {
        await new Promise((r) => out.once('drain', r));
      }
    }
    await new Promise((r) => out.end(r));
    const mb = statSync(input).size / 2 ** 20;
    expect(mb).toBeGreaterThan(10);
    const tsx = join(here, '../../../node_modules/.bin/tsx');
    const line = execFileSync(
      tsx,
      ['--conditions=@lab/source', join(here, 'fixtures/stream-shard.ts'), input, output],
      { env: { ...process.env, NODE_OPTIONS: '--expose-gc' }, encoding: 'utf8', cwd: join(here, '..') },
    );
    const result = JSON.parse(line.trim().split('\n').pop()!);
    expect(result.counts.samples).toEqual({ forward: docs, reverse: docs, total: 2 * docs });
    // The live heap after 1,000 docs and after all 15,000 differ by far less than the shard's size.
    expect(result.late - result.early).toBeLessThan(mb / 5);
    expect(statSync(output).size / 2 ** 20).toBeGreaterThan(2 * mb);
    const first = readFileSync(output, 'utf8').slice(0, 20_000).split('\n')[0]!;
    expect(JSON.parse(first)).toHaveProperty('direction');
  }, 120_000);
});

async function collect2<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
