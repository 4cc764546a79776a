/**
 * Executes every notebook in examples/ headless with Debian's Jupyter and the
 * tslab kernel; a failing cell fails the test. The notebooks import the built
 * packages (dist/), so run `pnpm build` first (.ci/run does).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const examples = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(examples, '..');
const notebooks = readdirSync(examples).filter((f) => f.endsWith('.ipynb'));
const jupyter = '/usr/bin/jupyter';

describe('notebooks', () => {
  it('finds notebooks and a Jupyter to run them', () => {
    expect(notebooks.length).toBeGreaterThan(0);
    expect(existsSync(jupyter), 'Debian Jupyter missing: run scripts/install-system-deps.sh').toBe(true);
  });

  for (const nb of notebooks) {
    it(`${nb} runs every cell without error`, () => {
      const jupyterPath = execFileSync('bash', [join(root, 'scripts/setup-notebooks.sh')], {
        encoding: 'utf8',
      }).trim();
      const out = mkdtempSync(join(tmpdir(), 'lab-nb-'));
      try {
        const run = spawnSync(
          jupyter,
          [
            'nbconvert',
            '--to',
            'notebook',
            '--execute',
            '--ExecutePreprocessor.kernel_name=tslab',
            '--ExecutePreprocessor.timeout=600',
            '--output-dir',
            out,
            join(examples, nb),
          ],
          {
            cwd: examples,
            encoding: 'utf8',
            env: { ...process.env, JUPYTER_PATH: jupyterPath, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
          },
        );
        if (run.status !== 0) expect.fail(`${nb} failed:\n${run.stderr.slice(-4000)}`);
        expect(existsSync(join(out, nb))).toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 600_000);
  }
});
