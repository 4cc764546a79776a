#!/usr/bin/env node
// Runs the test suite and ends with the one line CI reads:
// "N passed, N failed, N skipped" (vitest's own summary is not in that form;
// a pass that exits non-zero with no failed test counts as one failure).
//
// Two passes: the whole suite (with @lab/core-native's accelerator when it is
// built and a BLAS library is present), then core's numerical tests again with
// the accelerator off (LAB_NATIVE=0), so both paths stay correct.
// Arguments go to vitest and run a single pass (a file filter, --reporter, ...).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CORE_NUMERICS = ['nn', 'model', 'position', 'kernels', 'train', 'generate'].map(
  (d) => `packages/core/test/${d}`,
);

const args = process.argv.slice(2);
const passes =
  args.length > 0
    ? [{ label: 'selected tests', args, env: {} }]
    : [
        { label: 'all packages', args: [], env: {} },
        {
          label: 'core without the native accelerator (LAB_NATIVE=0)',
          args: CORE_NUMERICS,
          env: { LAB_NATIVE: '0' },
        },
      ];

const dir = mkdtempSync(join(tmpdir(), 'lab-test-'));
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [i, pass] of passes.entries()) {
  console.log(`\n### ${pass.label}\n`);
  const report = join(dir, `report-${i}.json`);
  const run = spawnSync(
    'pnpm',
    [
      'exec',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...pass.args,
    ],
    { stdio: 'inherit', env: { ...process.env, ...pass.env } },
  );
  if (run.status !== 0) ok = false;
  const failedBefore = failed;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests;
    failed += json.numFailedTests;
    skipped += json.numPendingTests + json.numTodoTests;
    // A file that fails to load has no tests; count it as a failure.
    failed += json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  } catch {
    failed += 1;
  }
  // vitest can exit non-zero with every test passed (an unhandled error or
  // rejection between tests): the summary line must not read as a pass then.
  if (run.status !== 0 && failed === failedBefore) failed += 1;
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
