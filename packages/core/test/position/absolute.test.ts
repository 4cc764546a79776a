import { expect, it } from 'vitest';
import { LearnedAbsolutePosition, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';

describeBackends('LearnedAbsolutePosition', () => {
  it('adds the table row of each position; init is N(0, 1/d)', () => {
    const pos = new LearnedAbsolutePosition({ maxSeqLen: 200, dModel: 64, seed: 1 });
    const table = pos.weight.arraySync() as number[][];
    const variance = table.flat().reduce((a, v) => a + v * v, 0) / (200 * 64);
    expect(variance).toBeGreaterThan(0.8 / 64);
    expect(variance).toBeLessThan(1.2 / 64);
    const x = tf.ones([2, 3, 64]) as tf.Tensor3D;
    const positions = tf.tensor2d(
      [
        [0, 1, 2],
        [0, 0, 5],
      ],
      [2, 3],
      'int32',
    );
    const y = pos.embedInput(x, positions).arraySync();
    expectClose(
      y[1]![2]!,
      table[5]!.map((v) => v + 1),
      1e-6,
    );
    expectClose(
      y[1]![1]!,
      table[0]!.map((v) => v + 1),
      1e-6,
    );
    tf.dispose([x, positions]);
    pos.dispose();
  });
});
