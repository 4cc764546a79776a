import { expect, it } from 'vitest';
import { coaDemo } from '../coa-demo.js';

it('coa demo prints a filled chain and both executors, pipelined faster', async () => {
  const lines: string[] = [];
  const speedup = await coaDemo({ questions: 6, msPerToken: 0.5, toolMs: 25, log: (l) => lines.push(l) });
  const text = lines.join('\n');
  expect(text).toContain('[director of the film Alien -Wiki-> Alien is a 1979');
  expect(text).toMatch(/\[1979 - 1937 = 42\]\. The answer is 42\./);
  expect(text).toMatch(/pipelined\s+total/);
  expect(text).toMatch(/interleaved total/);
  expect(text).toContain('6/6 correct');
  expect(speedup).toBeGreaterThan(1);
});
