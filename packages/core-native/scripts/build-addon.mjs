#!/usr/bin/env node
// Builds the addon with node-gyp at install time, offline: against the headers
// installed with Node (never a download), with whichever node-gyp the package
// manager ships. The accelerator is optional, so a failed build prints why and
// exits 0: @lab/core then runs the plain wasm kernels and reports the reason.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');

function nodeDir() {
  if (process.env.LAB_NODEDIR) return process.env.LAB_NODEDIR;
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  // Node installed under a prefix keeps its headers in <prefix>/include/node.
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined;
}

function nodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const prefix = resolve(dirname(process.execPath), '..');
  for (const manager of ['npm', 'pnpm/dist']) {
    candidates.push(
      join(prefix, 'lib', 'node_modules', manager, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  return candidates.find((p) => existsSync(p));
}

function fail(message) {
  console.warn(`@lab/core-native: ${message}; the accelerator stays off (plain wasm kernels run).`);
  process.exit(strict ? 1 : 0);
}

const gyp = nodeGyp();
if (!gyp) fail('node-gyp not found (it ships with npm and pnpm)');
const dir = nodeDir();
if (!dir)
  fail(`Node's headers not found beside ${process.execPath} (set LAB_NODEDIR to Node's install prefix)`);
const run = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${dir}`], {
  cwd: pkgDir,
  stdio: 'inherit',
});
if (run.status !== 0) fail(`node-gyp rebuild failed (exit ${run.status})`);
