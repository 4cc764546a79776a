import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStage, runStage, type StageProgress } from '../src/index.js';

const dirs: string[] = [];
async function runDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lab-lm-stage-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

const inputs = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, x: i }));

describe('runStage', () => {
  it('bounds concurrency, appends each record, logs failures without stopping', async () => {
    const dir = await runDir();
    let active = 0;
    let peak = 0;
    const seen: StageProgress[] = [];
    const result = await runStage({
      runDir: dir,
      name: 'square',
      inputs,
      id: (r) => r.key,
      concurrency: 3,
      progress: (p) => seen.push(p),
      run: async (r) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((res) => setTimeout(res, 2 + (r.x % 3)));
        active--;
        if (r.x % 7 === 3) throw new Error(`bad input ${r.x}`);
        return r.x * r.x;
      },
    });
    expect(peak).toBe(3);
    const failing = inputs.filter((r) => r.x % 7 === 3).map((r) => r.key);
    expect(result).toMatchObject({ done: 30 - failing.length, skipped: 0, failed: failing.length });
    expect(result.failures.map((f) => f.id).sort()).toEqual([...failing].sort());
    expect(result.records.map((r) => r.output)).toEqual(
      inputs.filter((r) => r.x % 7 !== 3).map((r) => r.x * r.x),
    );
    expect(seen.at(-1)).toMatchObject({ total: 30, done: 26, failed: 4 });
    const failedLog = (await readFile(join(dir, 'square.failed.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failedLog.find((f) => f.id === 'k3').error.message).toBe('bad input 3');
  });

  it('on rerun skips finished ids, retries failed ones, and never duplicates', async () => {
    const dir = await runDir();
    let calls = 0;
    let fail = true;
    const opts = {
      runDir: dir,
      name: 's',
      inputs,
      id: (r: { key: string }) => r.key,
      progress: false as const,
      run: async (r: { x: number }) => {
        calls++;
        if (fail && r.x >= 20) throw new Error('flaky');
        return { y: r.x + 1 };
      },
    };
    const first = await runStage(opts);
    expect([first.done, first.failed, calls]).toEqual([20, 10, 30]);
    fail = false;
    calls = 0;
    const second = await runStage(opts);
    expect([second.done, second.skipped, second.failed, calls]).toEqual([10, 20, 0, 10]);
    const stored = await readStage<{ y: number }>(dir, 's');
    expect(stored).toHaveLength(30);
    expect(new Set(stored.map((r) => r.id)).size).toBe(30);
    expect(second.records.map((r) => r.output.y)).toEqual(inputs.map((r) => r.x + 1));
  });

  it('repairs a torn last line left by a crash', async () => {
    const dir = await runDir();
    const opts = {
      runDir: dir,
      name: 't',
      inputs: inputs.slice(0, 5),
      id: (r: { key: string }) => r.key,
      progress: false as const,
    };
    await runStage({ ...opts, inputs: inputs.slice(0, 3), run: async (r) => r.x });
    await appendFile(join(dir, 't.jsonl'), '{"id":"k3","outp');
    const again = await runStage({ ...opts, run: async (r) => r.x });
    expect([again.done, again.skipped]).toEqual([2, 3]);
    expect((await readStage<number>(dir, 't')).map((r) => r.output)).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops on the first failure when asked, and rejects duplicate ids', async () => {
    const dir = await runDir();
    let started = 0;
    const err = await runStage({
      runDir: dir,
      name: 'ff',
      inputs,
      id: (r) => r.key,
      concurrency: 2,
      failFast: true,
      progress: false,
      run: async (r) => {
        started++;
        await new Promise((res) => setTimeout(res, 1));
        if (r.x === 4) throw new Error('stop here');
        return r.x;
      },
    }).catch((e) => e);
    expect(err.code).toBe('LM_STAGE_FAILED');
    expect(err.message).toContain('stop here');
    expect(started).toBeLessThan(10);
    const dup = await runStage({
      runDir: dir,
      name: 'd',
      inputs: [1, 1],
      id: String,
      run: async (x) => x,
      progress: false,
    }).catch((e) => e);
    expect(dup.code).toBe('LM_DUPLICATE_ID');
  });
});
