import { reify } from '@lab/coa';
import { generateWordProblems } from '@lab/tasks';
import { describe, expect, it } from 'vitest';
import { completion, runCoaBenchmark, terseQuestion } from '../coa.js';

describe('benchmarks/coa --smoke', () => {
  it('renders variant completions whose answers check out', async () => {
    for (const p of generateWordProblems({ n: 20, seed: 4 })) {
      expect(terseQuestion(p)).toMatch(/How many now\?$/);
      expect((await reify(completion(p, 'coa'))).answer).toBe(p.answer);
      expect(completion(p, 'cot').endsWith(`The answer is ${p.answer}.`)).toBe(true);
      expect((await reify(completion(p, 'coa-notool'))).issues.every((i) => i.code === 'no-unknown')).toBe(
        true,
      );
    }
  });

  it('runs end to end in seconds and reports every section', async () => {
    const lines: string[] = [];
    const r = await runCoaBenchmark({ smoke: true, log: (l) => lines.push(l) });
    for (const v of ['coa', 'cot', 'coa-notool'] as const) {
      for (const s of ['id', 'ood-numeric', 'ood-long'] as const) {
        expect(r.accuracy[v][s]).toBeGreaterThanOrEqual(0);
        expect(r.accuracy[v][s]).toBeLessThanOrEqual(1);
      }
    }
    expect(r.timing.pipelined.totalMs).toBeGreaterThan(0);
    expect(r.timing.interleaved.totalMs).toBeGreaterThan(0);
    expect(Number.isFinite(r.timing.speedup)).toBe(true);
    expect(r.gsm8k.total).toBe(1319);
    expect(r.gsm8k.yield).toBeGreaterThan(0.85);
    expect(r.criteria).toHaveLength(5);
    expect(lines.some((l) => l.startsWith('| coa |'))).toBe(true);
    expect(lines.some((l) => l.startsWith('Spec criteria'))).toBe(true);
  });
});
