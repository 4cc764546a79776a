import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CachedModel, canonicalJson, parseRequests, ScriptedModel, sampleKey } from '../src/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lab-lm-cache-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await allFiles(join(dir, e.name))));
    else out.push(join(dir, e.name));
  }
  return out;
}

describe('canonical keys', () => {
  it('ignores key order, id and n; separates model, options and index', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonicalJson({ a: [{ x: 1, y: 2 }], b: 1 }));
    const [a, b, c] = parseRequests([
      { id: 'one', prompt: 'p', n: 2, temperature: 0.5 },
      { temperature: 0.5, n: 7, prompt: 'p' },
      { prompt: 'p', temperature: 0.6 },
    ]);
    expect(sampleKey('m', a!, 0)).toBe(sampleKey('m', b!, 0));
    expect(sampleKey('m', a!, 0)).not.toBe(sampleKey('m', a!, 1));
    expect(sampleKey('m', a!, 0)).not.toBe(sampleKey('m2', a!, 0));
    expect(sampleKey('m', a!, 0)).not.toBe(sampleKey('m', c!, 0));
  });
});

describe('CachedModel', () => {
  it('replays a rerun from disk and asks only for missing samples', async () => {
    const dir = await tempDir();
    const inner = new ScriptedModel({ rule: (r, i) => `${r.prompt}/${r.seed}/${i}` });
    const first = new CachedModel(inner, dir);
    const r1 = await first.generate([{ prompt: 'a', n: 2, seed: 10 }, { prompt: 'b' }]);
    expect(first.stats).toEqual({ hits: 0, misses: 3 });

    const second = new CachedModel(inner, dir);
    const r2 = await second.generate([{ prompt: 'a', n: 2, seed: 10, id: 'x' }, { prompt: 'b' }]);
    expect(second.stats).toEqual({ hits: 3, misses: 0 });
    expect(r2.map((r) => r.samples)).toEqual(r1.map((r) => r.samples));
    expect(r2[0]!.id).toBe('x');
    expect(inner.calls).toHaveLength(2);

    // Growing n to 4 reuses the first two samples and asks for two more, seeded after them.
    const grown = await second.generate([{ prompt: 'a', n: 4, seed: 10 }]);
    expect(inner.calls.at(-1)).toMatchObject({ prompt: 'a', n: 2, seed: 12 });
    expect(grown[0]!.samples.map((s) => s.text)).toEqual(['a/10/0', 'a/10/1', 'a/12/0', 'a/12/1']);
  });

  it('treats a damaged entry as a miss and repairs it', async () => {
    const dir = await tempDir();
    const model = new CachedModel(new ScriptedModel(), dir);
    await model.generate([{ prompt: 'z' }]);
    const [file] = await allFiles(dir);
    await writeFile(file!, '{"key": "trunc');
    const again = new CachedModel(new ScriptedModel(), dir);
    const [r] = await again.generate([{ prompt: 'z' }]);
    expect(again.stats.misses).toBe(1);
    expect(r!.samples[0]!.text).toBe('echo: z #0');
    expect(JSON.parse(await readFile(file!, 'utf8')).sample.text).toBe('echo: z #0');
  });

  it('is safe when two processes fill the same cache at once', async () => {
    const dir = await tempDir();
    const run = () =>
      promisify(execFile)(
        process.execPath,
        [
          '--conditions=@lab/source',
          '--import',
          'tsx',
          join(__dirname, 'fixtures/cache-writer.ts'),
          dir,
          '150',
        ],
        { cwd: join(__dirname, '..') },
      );
    const [a, b] = await Promise.all([run(), run()]);
    const total = (s: string) => {
      const st = JSON.parse(s) as { hits: number; misses: number };
      return st.hits + st.misses;
    };
    expect(total(a.stdout)).toBe(450);
    expect(total(b.stdout)).toBe(450);
    const files = await allFiles(dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files).toHaveLength(450);
    for (const f of files) expect(() => JSON.parse(readFileSync(f, 'utf8'))).not.toThrow();

    const replay = new CachedModel(new ScriptedModel({ id: 'race' }), dir);
    const results = await replay.generate(
      Array.from({ length: 150 }, (_, i) => ({ prompt: `q${i}`, n: 3, seed: i })),
    );
    expect(replay.stats).toEqual({ hits: 450, misses: 0 });
    expect(results[149]!.samples[2]!.text).toBe('echo: q149 #2');
  });
});
