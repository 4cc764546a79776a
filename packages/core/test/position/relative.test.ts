import { expect, it } from 'vitest';
import { LearnedRelativePosition, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { checkGradients, randomArray } from '../nn/grad-check.js';

/** q with the same vector at every position: [1, 1, qLen, hd]. */
function constantQ(qLen: number, hd: number): tf.Tensor4D {
  const row = randomArray(hd, 3);
  return tf.tensor4d(Array.from({ length: qLen }, () => row).flat(), [1, 1, qLen, hd]);
}

describeBackends('LearnedRelativePosition', () => {
  it('bias is q_i·r_{i-j}/sqrt(d) and depends only on i - j', () => {
    const rel = new LearnedRelativePosition({ headDim: 4, size: 8, seed: 1 });
    const q = tf.tensor4d(randomArray(2 * 1 * 5 * 4, 7), [2, 1, 5, 4]);
    const bias = rel.bias(q, 5, 0).arraySync();
    const table = rel.table.arraySync() as number[][];
    const qs = q.arraySync();
    for (let b = 0; b < 2; b++) {
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j <= i; j++) {
          const ref = qs[b]![0]![i]!.reduce((a, v, c) => a + v * table[c]![i - j]!, 0) / 2;
          expectClose([bias[b]![0]![i]![j]!], [ref], 1e-5);
        }
      }
    }
    const same = rel.bias(constantQ(6, 4), 6, 0).arraySync()[0]![0]!;
    for (let i = 1; i < 6; i++)
      for (let j = 1; j <= i; j++) expectClose([same[i]![j]!], [same[i - 1]![j - 1]!], 1e-6);
    // With a cache offset, query i sits at offset + i.
    const shifted = rel.bias(constantQ(2, 4), 6, 4).arraySync()[0]![0]!;
    expectClose(shifted[1]!, same[5]!, 1e-6);
    q.dispose();
    rel.dispose();
  });

  it('capped: "extend" reuses the last column past the cap, "zero" adds nothing', () => {
    const extend = new LearnedRelativePosition({ headDim: 4, size: 3, beyond: 'extend', seed: 2 });
    const zero = new LearnedRelativePosition({ headDim: 4, size: 3, beyond: 'zero', seed: 2 });
    const q = constantQ(6, 4);
    const e = extend.bias(q, 6, 0).arraySync()[0]![0]!;
    const z = zero.bias(q, 6, 0).arraySync()[0]![0]!;
    expect(extend.kind).toBe('capped-relative');
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j <= i; j++) {
        if (i - j < 3) expectClose([z[i]![j]!], [e[i]![j]!], 1e-6);
        else {
          expectClose([e[i]![j]!], [e[2]![0]!], 1e-6);
          expect(Math.abs(z[i]![j]!)).toBe(0);
        }
      }
    }
    q.dispose();
    extend.dispose();
    zero.dispose();
  });

  it('table gradient matches finite differences (through the flat gather)', () => {
    const rel = new LearnedRelativePosition({ headDim: 2, size: 4, beyond: 'zero', seed: 3 });
    const q = tf.tensor4d(randomArray(1 * 2 * 5 * 2, 1), [1, 2, 5, 2]);
    const w = tf.tensor4d(randomArray(2 * 5 * 5, 2), [1, 2, 5, 5]);
    checkGradients(() => tf.sum(tf.mul(rel.bias(q, 5, 0), w)), rel.parameters(), { maxPerVariable: 8 });
    tf.dispose([q, w]);
    rel.dispose();
  });
});
