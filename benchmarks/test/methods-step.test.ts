// Runs benchmarks/methods-step in smoke mode (1 warm-up and 1 timed step per
// model and backend): asserts every method's default model builds, trains a
// step on both backends and gets a table row, not the timings.
import { describe, expect, it } from 'vitest';
import { formatTable, methodSpecs, runMethodsStep } from '../methods-step.js';

describe('benchmarks/methods-step --smoke', () => {
  it('times one step of every method model and prints a row per method', async () => {
    const lines: string[] = [];
    const report = await runMethodsStep({ smoke: true, log: (l) => lines.push(l) });
    const methods = methodSpecs().map((s) => s.method);
    expect(report.rows.map((r) => r.method)).toEqual(methods);
    for (const m of ['cope', 'btx-moe', 'reverse-train', 'coa', 'judge-loop']) {
      expect(methods.some((x) => x.startsWith(m))).toBe(true);
    }
    const table = formatTable(report);
    for (const row of report.rows) {
      expect(row.params).toBeGreaterThan(0);
      expect(Number.isFinite(row.plain.loss)).toBe(true);
      expect(row.plain.steps).toBe(1);
      if (report.accelerator.enabled) expect(row.native?.steps).toBe(1);
      else expect(row.native).toBeNull();
      expect(table).toContain(`| ${row.method} | ${row.layers} | ${row.d} |`);
    }
    expect(lines.join('\n')).toContain(table);
  }, 90_000);
});
