import { expect, it } from 'vitest';
import { runCopeBenchmark } from '../cope.js';

it('benchmarks/cope.ts --smoke trains every scheme on every task and prints the tables', async () => {
  const lines: string[] = [];
  const results = await runCopeBenchmark({ smoke: true, log: (l) => lines.push(l), writeJson: false });
  const out = lines.join('\n');
  expect(results).toHaveLength(5 * 5); // 5 tasks × 5 schemes
  for (const r of results) {
    for (const e of Object.values(r.errors)) expect(e).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(r.finalLoss)).toBe(true);
  }
  expect(out).toContain('| counting-3var test |');
  expect(out).toContain('67.6 / 17.8 / 1.2'); // the paper's numbers beside ours
  expect(out).toMatch(/(HOLDS|DOES NOT HOLD) {2}CoPE lowest error on 5-variable counting/);
  expect(out).toMatch(/CoPE step time \/ RoPE step time .*: \d+\.\d+x/);
});
