import { initBackend } from '@lab/core';
import { parseVerdict } from '@lab/lm';
import { expect, it } from 'vitest';
import { judgeDemo } from '../judge-demo.js';

it('judge demo prints the pair, the model’s reasoning and the verdict parsed from it, in both orders', async () => {
  await initBackend({ prefer: 'wasm' });
  const lines: string[] = [];
  const r = await judgeDemo({ seconds: 3, log: (l) => lines.push(l) });
  const text = lines.join('\n');
  expect(text).toContain('seconds-long training run');
  expect(text).toContain(`instruction: ${r.instruction}`);
  expect(text).toContain(`chosen:      ${r.chosen}`);
  expect(text).toContain(`rejected:    ${r.rejected}`);
  expect(r.chosen).not.toBe(r.rejected);
  expect(r.orders.map((o) => [o.shown, o.gold])).toEqual([
    ['chosen-as-A', 'A'],
    ['chosen-as-B', 'B'],
  ]);
  for (const o of r.orders) {
    // The reasoning is the model's own text, printed as is.
    expect(o.reasoning.length).toBeGreaterThan(0);
    expect(text).toContain(`model's reasoning: ${JSON.stringify(o.reasoning)}`);
    // The verdict is what lm's parser reads from that text; unparsed is reported as such.
    expect(o.verdict).toBe(parseVerdict(o.reasoning));
    expect(o.matches).toBe(o.verdict === o.gold);
    expect(text).toContain(
      o.verdict === 'unparsed'
        ? `verdict: unparsed`
        : `verdict: ${o.verdict} (parsed from the model's text); gold ${o.gold}`,
    );
  }
  expect(text).toMatch(/[0-2]\/2 orders match the known better response/);
  expect(r.trainingSteps).toBeGreaterThan(25);
}, 60_000);
