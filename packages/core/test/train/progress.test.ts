import { afterEach, describe, expect, it } from 'vitest';
import { createProgress, formatNumber, resolveProgressMode } from '../../src/train/progress.js';

describe('training progress', () => {
  const saved = { ci: process.env.CI, tty: process.stderr.isTTY };
  afterEach(() => {
    if (saved.ci === undefined) delete process.env.CI;
    else process.env.CI = saved.ci;
    process.stderr.isTTY = saved.tty;
  });

  it('auto is a bar on a terminal, lines in CI or a pipe', () => {
    process.stderr.isTTY = true;
    delete process.env.CI;
    expect(resolveProgressMode('auto')).toBe('bar');
    process.env.CI = 'true';
    expect(resolveProgressMode('auto')).toBe('lines');
    process.env.CI = 'false';
    expect(resolveProgressMode('auto')).toBe('bar');
    process.stderr.isTTY = false;
    expect(resolveProgressMode('auto')).toBe('lines');
    expect(resolveProgressMode('none')).toBe('none');
  });

  it('lines mode prints the first, every Nth and the last step, and evaluations', () => {
    const lines: string[] = [];
    const p = createProgress('lines', 25, 10, (l) => lines.push(l));
    for (let s = 1; s <= 25; s++) p.step(s, { loss: 1 / s, 'tok/s': 1234.5 });
    p.eval(25, { loss: 0.5 });
    p.end();
    expect(lines.map((l) => l.split('/')[0])).toEqual([
      'step  1',
      'step 10',
      'step 20',
      'step 25',
      'eval at step 25  loss 0.5000',
    ]);
    expect(lines[0]).toBe('step  1/25  loss 1.0000  tok/s 1235');
    expect(formatNumber(3e-4)).toBe('3.00e-4');
  });
});
