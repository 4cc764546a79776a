import { describe, expect, it } from 'vitest';
import { runJudgeLoopBenchmark } from '../judge-loop.js';

describe('benchmarks/judge-loop --smoke', () => {
  it('runs two iterations end to end and reports every section', async () => {
    const lines: string[] = [];
    const r = await runJudgeLoopBenchmark({ smoke: true, log: (l) => lines.push(l) });
    const arms = r.rows.map((row) => `${row.arm}:${row.iteration}`);
    expect(arms).toEqual([
      'seed:0',
      'main:1',
      'main:2',
      'dpo+nll:2',
      'continue:2',
      'one-order:1',
      'one-order:2',
    ]);
    for (const row of r.rows) {
      for (const v of [
        row.inDist.both,
        row.inDist.first,
        row.inDist.second,
        row.shifted.both,
        row.unparsed,
      ]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(row.inDist.both).toBeCloseTo((row.inDist.first + row.inDist.second) / 2, 12);
    }
    expect(r.pairs).toBe(12);
    expect(r.labelRight).toBeGreaterThan(0);
    expect(r.lineage.heldOutLeaks).toBe(0);
    expect(r.criteria).toHaveLength(9);
    expect(r.lineage.trainingRecords).toBeGreaterThan(0);
    expect(typeof r.demo.judgment).toBe('string');
    expect(lines.some((l) => l.startsWith('| main | 2 |'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Spec criteria'))).toBe(true);
    expect(lines.some((l) => l.includes('label noise'))).toBe(true);
  });
});
