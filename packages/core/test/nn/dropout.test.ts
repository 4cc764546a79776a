import { expect, it } from 'vitest';
import { Dropout, tf } from '../../src/index.js';
import { describeBackends } from '../helpers.js';

describeBackends('Dropout', () => {
  it('is seeded, advances per call, scales kept values, and is identity in eval', () => {
    const x = tf.ones([1000]);
    const a = new Dropout({ rate: 0.25, seed: 5 });
    const b = new Dropout({ rate: 0.25, seed: 5 });
    const a1 = a.forward(x).dataSync();
    const a2 = a.forward(x).dataSync();
    const b1 = b.forward(x).dataSync();
    expect(Array.from(a1)).toEqual(Array.from(b1));
    expect(Array.from(a1)).not.toEqual(Array.from(a2));
    const kept = Array.from(a1).filter((v) => v !== 0);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.75, 5);
    expect(kept.length / 1000).toBeGreaterThan(0.68);
    expect(kept.length / 1000).toBeLessThan(0.82);
    a.eval();
    expect(a.forward(x)).toBe(x);
    a.resetSeed();
    a.train();
    expect(Array.from(a.forward(x).dataSync())).toEqual(Array.from(a1));
    x.dispose();
  });
});
