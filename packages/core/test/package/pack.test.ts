/**
 * Packs @lab/core as npm would publish it and imports it from a folder
 * outside the workspace, in ESM and in CJS. Needs `pnpm build` first; installs
 * the tarball's dependencies from pnpm's store, or the registry for what it lacks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;

describe('@lab/core as a packed npm package', () => {
  beforeAll(() => {
    expect(existsSync(join(pkgDir, 'dist/index.js')), 'run `pnpm build` before the tests').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'lab-pack-'));
    execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: pkgDir, stdio: 'pipe' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, dependencies: { '@lab/core': `file:./${tgz}` } }),
    );
    writeFileSync(
      join(dir, 'pnpm-workspace.yaml'),
      'packages: []\nautoInstallPeers: false\nallowBuilds:\n  core-js: false\n',
    );
    execFileSync('pnpm', ['install', '--prefer-offline'], {
      cwd: dir,
      stdio: 'pipe',
      env: { ...process.env, CI: 'true' },
    });
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const script = `
    const info = await core.initBackend({ prefer: 'wasm' });
    const y = core.tf.sum(core.tf.tensor1d([1, 2, 3])).dataSync()[0];
    console.log(JSON.stringify({ backend: info.name, simdKernels: info.simdKernels, y, hasModule: typeof core.Module }));`;

  it('imports as ESM', () => {
    writeFileSync(join(dir, 'esm.mjs'), `import * as core from '@lab/core';\n${script}`);
    const out = JSON.parse(
      execFileSync('node', ['esm.mjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!,
    );
    expect(out).toEqual({ backend: 'wasm', simdKernels: true, y: 6, hasModule: 'function' });
  });

  it('requires as CJS', () => {
    writeFileSync(join(dir, 'cjs.cjs'), `const core = require('@lab/core');\n(async () => {${script}})();`);
    const out = JSON.parse(
      execFileSync('node', ['cjs.cjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()!,
    );
    expect(out).toEqual({ backend: 'wasm', simdKernels: true, y: 6, hasModule: 'function' });
  });

  it('ships types and only dist', () => {
    const files = readdirSync(join(dir, 'node_modules/@lab/core/dist'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']));
    expect(existsSync(join(dir, 'node_modules/@lab/core/src'))).toBe(false);
  });
});
