// Runs the btx benchmark's smoke configuration end to end (a 2-layer d-16
// model, a handful of steps per stage, experts trained as parallel CLI
// processes): asserts the pipeline (every arm trained and scored, budgets
// matched in FLOPs, routing tables, criteria printed), not the result, which
// is meaningless at this size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('benchmarks/btx --smoke', () => {
  it('trains every arm, matches their FLOP budgets and prints tables and criteria', () => {
    const dir = mkdtempSync(join(tmpdir(), 'btx-bench-'));
    try {
      const out = join(dir, 'result.json');
      const stdout = execFileSync(
        join(here, '../../node_modules/.bin/tsx'),
        ['--conditions=@lab/source', join(here, '../btx.ts'), '--smoke', '--out', out],
        {
          encoding: 'utf8',
          cwd: join(here, '..'),
          env: { ...process.env, CI: 'true' },
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      expect(stdout).toContain('routing shares, BTX (seed 0)');
      expect(stdout).toContain('routing shares, BTX-noLB (seed 0)');
      expect(stdout).toContain('expert training wall clock');
      expect(stdout).toMatch(/\d of 5 criteria hold/);
      const result = JSON.parse(readFileSync(out, 'utf8'));
      const arms = result.rows.map((r: { arm: string }) => r.arm);
      for (const arm of [
        'seed',
        'expert arith',
        'expert code',
        'expert wiki',
        'BTM top-1',
        'BTM top-2',
        'BTM all',
        'BTX',
        'BTX-noLB',
        'dense',
        'upcycling',
      ]) {
        expect(arms).toContain(arm);
      }
      const eq = (arm: string) =>
        result.rows.find((r: { arm: string }) => r.arm === arm).denseStepEquivalents;
      // Matched compute: dense, upcycling and BTX within one MoE step of each other.
      expect(Math.abs(eq('dense') - eq('BTX'))).toBeLessThan(result.moeStepInDenseSteps);
      expect(Math.abs(eq('upcycling') - eq('BTX'))).toBeLessThan(result.moeStepInDenseSteps);
      for (const r of result.rows)
        for (const v of Object.values(r.loss)) expect(Number.isFinite(v)).toBe(true);
      // Routing shares are distributions over 4 experts, per layer and domain.
      const btx = result.rows.find((r: { arm: string }) => r.arm === 'BTX');
      for (const perLayer of Object.values(btx.routing) as number[][][]) {
        for (const shares of perLayer) {
          expect(shares).toHaveLength(4);
          expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        }
      }
      // The experts are deterministic: trained in parallel or one after another, the same weights.
      expect(result.expertTraining.identicalWeights).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
