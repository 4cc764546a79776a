// Runs the btx CLI end to end on a tiny model in a temp dir. The two experts
// train as separate processes, concurrently (as on a real machine); the
// other steps run in-process through runCli to keep the test fast.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../src/index.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'btx-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function btx(...args: string[]): Promise<Record<string, unknown>> {
  return runCli(args);
}

async function btxProcess(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    join(root, 'node_modules/.bin/tsx'),
    ['--conditions=@lab/source', join(here, '../src/cli.ts'), ...args],
    { cwd: root, env: { ...process.env, CI: 'true' } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

it('init → branch → train-expert ×2 in parallel → mix → finetune → eval, btm, upcycle', async () => {
  const p = (name: string) => join(dir, name);
  const init = await btx(
    'init',
    '--out',
    p('seed'),
    '--d-model',
    '16',
    '--layers',
    '1',
    '--heads',
    '2',
    '--d-ff',
    '32',
    '--seq-len',
    '16',
  );
  expect(init.parameters).toBeGreaterThan(0);
  await Promise.all(
    ['arith', 'code'].map((d) => btx('branch', '--seed', p('seed'), '--out', p(`expert-${d}`))),
  );
  const [bad, ...trained] = await Promise.all([
    // A clear error from the executable for a bad command line.
    btxProcess('mix', '--out', p('x')).catch((e: { stderr: string }) => ({ stderr: e.stderr })),
    ...['arith', 'code'].map((d) =>
      btxProcess(
        'train-expert',
        '--checkpoint',
        p(`expert-${d}`),
        '--domain',
        d,
        '--steps',
        '2',
        '--batch',
        '2',
        '--warmup',
        '1',
      ),
    ),
  ]);
  expect(bad.stderr).toContain('CLI_USAGE');
  expect(trained.map((t) => (t.manifest as { domain: string }).domain)).toEqual(['arith', 'code']);
  const mixed = await btx(
    'mix',
    '--seed',
    p('seed'),
    '--experts',
    `${p('expert-arith')},${p('expert-code')}`,
    '--out',
    p('btx'),
  );
  expect(mixed.feedForward).toMatchObject({ kind: 'moe', numExperts: 3, routing: 'top2' });
  const ft = await btx(
    'finetune',
    '--checkpoint',
    p('btx'),
    '--out',
    p('btx-ft'),
    '--steps',
    '2',
    '--batch',
    '2',
    '--warmup',
    '1',
  );
  expect(Number.isFinite(ft.finalLoss)).toBe(true);
  const ev = await btx('eval', '--checkpoint', p('btx-ft'), '--domains', 'arith,mixed', '--batches', '1');
  const results = ev.results as { domain: string; loss: number; routing: number[][] }[];
  expect(results.map((r) => r.domain)).toEqual(['arith', 'mixed']);
  for (const r of results) {
    expect(r.routing).toHaveLength(1);
    expect(r.routing[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  }
  const btm = await btx(
    'btm',
    '--experts',
    `${p('expert-arith')},${p('expert-code')}`,
    '--domain',
    'code',
    '--top-k',
    '1',
    '--batches',
    '1',
  );
  expect(Number.isFinite(btm.loss)).toBe(true);
  const up = await btx(
    'upcycle',
    '--seed',
    p('seed'),
    '--experts',
    '4',
    '--out',
    p('up'),
    '--routing',
    'switch',
  );
  expect(up.feedForward).toMatchObject({ kind: 'moe', numExperts: 4, routing: 'switch' });
}, 180_000);
