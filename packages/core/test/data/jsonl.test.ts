import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type LabError,
  Rng,
  readJsonl,
  readJsonlAll,
  readJsonlRecords,
  writeJsonl,
} from '../../src/index.js';

const Row = z.strictObject({ id: z.number().int(), text: z.string(), tags: z.array(z.string()).default([]) });

describe('JSONL', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lab-jsonl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips records (unicode, escapes, defaults filled)', async () => {
    const rng = new Rng(1);
    const rows = Array.from({ length: 200 }, (_, id) => ({
      id,
      text: `line ${id} "quoted" \n newline \u2028 ${String.fromCodePoint(0x1f600 + rng.nextInt(50))}`,
    }));
    const file = join(dir, 'rows.jsonl');
    expect(await writeJsonl(file, rows, Row)).toBe(200);
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(201); // one line each, newline-terminated
    const back = await readJsonlAll(file, Row);
    expect(back).toEqual(rows.map((r) => ({ ...r, tags: [] })));
  });

  it('reads a large file line by line; breaking out early closes it', async () => {
    // Which fds point at `file` (Linux): robust to other fds opening and closing meanwhile.
    const fdsOn = (file: string) =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      });
    const file = join(dir, 'big.jsonl');
    // ~30 MB: far more than one read chunk.
    const line = `${JSON.stringify({ id: 0, text: 'x'.repeat(1000) })}\n`;
    writeFileSync(file, line.repeat(30_000));
    let n = 0;
    for await (const row of readJsonl(file, Row)) {
      expect(row.text).toHaveLength(1000);
      expect(fdsOn(file)).toHaveLength(1);
      if (++n === 3) break; // breaking out closes the file
    }
    expect(n).toBe(3);
    expect(fdsOn(file)).toEqual([]);
  });

  it('skips blank lines, reads CRLF and a BOM, counts lines from 1', async () => {
    const file = join(dir, 'crlf.jsonl');
    writeFileSync(file, '\uFEFF{"id":1,"text":"a"}\r\n\r\n   \n{"id":2,"text":"b"}');
    const recs = [];
    for await (const r of readJsonlRecords(file, Row)) recs.push(r);
    expect(recs.map((r) => [r.value.id, r.line])).toEqual([
      [1, 1],
      [2, 4],
    ]);
  });

  it('errors name the file, the line and the field', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      '{"id":1,"text":"a"}\n{"id":2,"text":"b"\n{"id":3,"text":7}\n{"id":4,"text":"d","x":1}\n',
    );
    const err = await readJsonlAll(file, Row).catch((e: LabError) => e);
    expect(err).toMatchObject({ code: 'JSONL_PARSE', context: { file, line: 2 } });
    expect((err as LabError).message).toContain(`${file}:2`);
    const skipped: LabError[] = [];
    const ok = await readJsonlAll(file, Row, { onInvalid: (e) => skipped.push(e) });
    expect(ok.map((r) => r.id)).toEqual([1]);
    expect(skipped.map((e) => [e.code, e.context.line, e.context.field])).toEqual([
      ['JSONL_PARSE', 2, undefined],
      ['JSONL_SCHEMA', 3, 'text'],
      ['JSONL_SCHEMA', 4, '(root)'],
    ]);
    expect(skipped[1]!.message).toContain(`${file}:3: field text`);
    const nested = join(dir, 'nested.jsonl');
    writeFileSync(nested, '{"id":1,"text":"a","tags":["x",5]}\n');
    await expect(readJsonlAll(nested, Row)).rejects.toMatchObject({
      code: 'JSONL_SCHEMA',
      context: { line: 1, field: 'tags.1' },
    });
    await expect(readJsonlAll(join(dir, 'missing.jsonl'), Row)).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
  });

  it('a failed write leaves the old file and no temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const file = join(sub, 'out.jsonl');
    await writeJsonl(file, [{ id: 1, text: 'old' }], Row);
    async function* rows() {
      yield { id: 2, text: 'new' };
      yield { id: 3, text: 'new' };
      yield { id: 4.5, text: 'bad' };
    }
    await expect(writeJsonl(file, rows(), Row)).rejects.toMatchObject({
      code: 'JSONL_SCHEMA',
      context: expect.objectContaining({ line: 3, field: 'id' }),
    });
    await expect(writeJsonl(file, [{ a: 1n }])).rejects.toMatchObject({
      code: 'JSONL_SERIALIZE',
      context: { line: 1 },
    });
    async function* throwing() {
      yield { id: 5, text: 'x' };
      throw new Error('generator failed');
    }
    await expect(writeJsonl(file, throwing(), Row)).rejects.toThrow('generator failed');
    expect(readdirSync(sub)).toEqual(['out.jsonl']);
    expect(await readJsonlAll(file, Row)).toEqual([{ id: 1, text: 'old', tags: [] }]);
  });
});
