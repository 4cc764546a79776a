import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { clipByGlobalNorm, clipCoefficient, globalNorm } from '../../src/index.js';
import { seededRandom } from '../generate/random.js';
import { describeBackends, expectClose, expectNoLeak } from '../helpers.js';

describeBackends('global-norm clipping', () => {
  it('matches a manual global norm and scales only when above maxNorm', async () => {
    const rand = seededRandom(3);
    const arrays = [6, 4, 9].map((n) => Float32Array.from({ length: n }, () => rand() * 4 - 2));
    const grads = arrays.map((a) => tf.tensor1d(a));
    const manual = Math.sqrt(arrays.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
    await expectNoLeak(() => {
      const n = globalNorm(grads);
      expect(n.dataSync()[0]).toBeCloseTo(manual, 4);
      n.dispose();
    });
    for (const maxNorm of [manual / 3, manual * 2]) {
      await expectNoLeak(() => {
        const { grads: clipped, norm } = clipByGlobalNorm(grads, maxNorm);
        expect(norm.dataSync()[0]).toBeCloseTo(manual, 4);
        const factor = Math.min(1, maxNorm / (manual + 1e-6));
        for (const [i, c] of clipped.entries()) {
          expectClose(
            c.dataSync(),
            arrays[i]!.map((x) => x * factor),
            1e-5,
          );
        }
        const after = Math.sqrt(
          clipped.reduce((s, c) => s + Array.from(c.dataSync()).reduce((t, x) => t + x * x, 0), 0),
        );
        expect(after).toBeCloseTo(Math.min(manual, maxNorm), 3);
        tf.dispose([...clipped, norm]);
      });
    }
    expect(clipCoefficient(2, 1)).toBeCloseTo(0.5, 5);
    expect(clipCoefficient(0.5, 1)).toBe(1);
    tf.dispose(grads);
  });
});
