/**
 * `pnpm bench [name ...] [-- args]`: runs benchmarks one after another, each in
 * its own process (so one backend and one heap per benchmark). Without names it
 * runs the core trio; `pnpm bench all` runs every benchmark in this folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CORE = ['core-matmul', 'core-train', 'core-generate'];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts')
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const names = dash >= 0 ? argv.slice(0, dash) : argv;
const passThrough = dash >= 0 ? argv.slice(dash + 1) : [];
const chosen = names.length === 0 ? CORE : names.includes('all') ? available : names;

let failed = 0;
for (const name of chosen) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    failed++;
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const run = spawnSync('pnpm', ['exec', 'tsx', '--conditions=@lab/source', file, ...passThrough], {
    stdio: 'inherit',
    cwd: join(here, '..'),
  });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
