// Runs the reverse-train benchmark's smoke configuration end to end (tiny
// tasks, a 1-layer model, 2 epochs): asserts the pipeline (every arm trained
// and scored, tables and criteria printed, token accounting per budget), not
// the result, which is meaningless at this size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('benchmarks/reverse-train --smoke', () => {
  it('trains and scores every arm of the grid on both tasks, with budget-consistent token counts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reverse-train-bench-'));
    try {
      const out = join(dir, 'result.json');
      const stdout = execFileSync(
        join(here, '../../node_modules/.bin/tsx'),
        ['--conditions=@lab/source', join(here, '../reverse-train.ts'), '--smoke', '--out', out],
        { encoding: 'utf8', cwd: join(here, '..'), env: { ...process.env, CI: 'true' } },
      );
      expect(stdout).toContain('symbolic, data-matched');
      expect(stdout).toContain('bios, compute-matched');
      expect(stdout).toMatch(/\d+ of \d+ criteria hold/);
      const result = JSON.parse(readFileSync(out, 'utf8'));
      expect(result.rows).toHaveLength(14);
      for (const r of result.rows) {
        for (const x of [r.forward, r.reverse]) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
        }
      }
      expect(result.checks.length).toBe(15);
      for (const task of ['symbolic', 'bios']) {
        const tokens = (budget: string, arm: string) =>
          result.rows.find(
            (r: { task: string; budget: string; arm: string }) =>
              r.task === task && r.budget === budget && r.arm === arm,
          ).tokensSeen;
        const standard = tokens('data', 'standard');
        // Data-matched reverse arms see twice the standard tokens (same words, reversed); compute-matched the same.
        expect(tokens('data', 'entity')).toBe(2 * standard);
        expect(tokens('data', 'word')).toBe(2 * standard);
        expect(tokens('compute', 'entity')).toBe(standard);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
