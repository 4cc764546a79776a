import { expect, it } from 'vitest';
import { LabError, RotaryPosition, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { randomArray } from '../nn/grad-check.js';

describeBackends('RotaryPosition', () => {
  it('q·k depends only on the offset between positions, and norms are kept', () => {
    const rope = new RotaryPosition({ headDim: 8 });
    const q = randomArray(8, 1);
    const k = randomArray(8, 2);
    // Place q and k at every position of a length-10 sequence.
    const at = (v: number[]) => tf.tensor4d(Array.from({ length: 10 }, () => v).flat(), [1, 1, 10, 8]);
    const rq = rope.rotate(at(q), 0).arraySync()[0]![0]!;
    const rk = rope.rotate(at(k), 0).arraySync()[0]![0]!;
    const dot = (m: number, n: number) => rq[m]!.reduce((a, v, c) => a + v * rk[n]![c]!, 0);
    expectClose([dot(3, 1), dot(9, 7), dot(5, 5)], [dot(2, 0), dot(8, 6), dot(0, 0)], 1e-4);
    expect(Math.abs(dot(3, 1) - dot(3, 2))).toBeGreaterThan(1e-3);
    const norm = (v: number[]) => Math.hypot(...v);
    expectClose([norm(rq[7]!)], [norm(q)], 1e-5);
    // Position 0 is the identity; an offset continues the sequence.
    expectClose(rq[0]!, q, 1e-6);
    const tail = rope.rotate(at(q).slice([0, 0, 0, 0], [1, 1, 3, 8]) as tf.Tensor4D, 7).arraySync()[0]![0]!;
    expectClose(tail.flat(), rq.slice(7).flat(), 1e-5);
    rope.dispose();
  });

  it('rotates pairs (m, m + d/2) by p·base^(-2m/d)', () => {
    const rope = new RotaryPosition({ headDim: 4, base: 100 });
    const x = tf.tensor4d([0, 0, 0, 0, 1, 2, 3, 4], [1, 1, 2, 4]);
    const out = rope.rotate(x, 0).arraySync()[0]![0]![1]!;
    const a0 = 1;
    const a1 = 100 ** (-2 / 4);
    expectClose(out, [
      1 * Math.cos(a0) - 3 * Math.sin(a0),
      2 * Math.cos(a1) - 4 * Math.sin(a1),
      3 * Math.cos(a0) + 1 * Math.sin(a0),
      4 * Math.cos(a1) + 2 * Math.sin(a1),
    ]);
    expect(() => new RotaryPosition({ headDim: 3 })).toThrow(LabError);
    rope.dispose();
  });
});
