// Spec §2.3: model text is never evaluated as code. Biome's recommended
// rules include noGlobalEval; this test greps the sources (and the bundles,
// when built) of @lab/coa and @lab/tasks for every way to run a string.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const BANNED = [
  /\beval\s*\(/,
  /new\s+Function\s*\(/,
  /\bFunction\s*\(\s*['"`]/,
  /\bimport\s*\(/,
  /node:vm|from ['"]vm['"]/,
];

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js|cjs)$/.test(p) ? [p] : [];
  });
}

it('no eval, new Function, dynamic import or vm in coa and tasks (sources and bundles)', () => {
  const roots = ['../src', '../dist', '../../tasks/src', '../../tasks/dist'].map((r) =>
    resolve(__dirname, r),
  );
  const all = roots.flatMap(files);
  expect(all.length).toBeGreaterThan(10);
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    for (const re of BANNED) expect(re.test(text), `${f} matches ${re}`).toBe(false);
  }
});
