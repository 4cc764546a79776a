import { expect, it } from 'vitest';
import { MLP, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { checkGradients, randomArray } from './grad-check.js';

const geluRef = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const siluRef = (x: number) => x / (1 + Math.exp(-x));

function dense(row: number[], w: number[][], b: number[] | null): number[] {
  return w[0]!.map((_, o) => row.reduce((a, v, i) => a + v * w[i]![o]!, b ? b[o]! : 0));
}

describeBackends('MLP', () => {
  for (const activation of ['gelu', 'swiglu'] as const) {
    it(`${activation} matches a plain computation and has correct gradients`, () => {
      const ff = new MLP({ dModel: 4, dFF: 3, activation, seed: 9, initStd: 0.5 });
      ff.fc.bias!.assign(tf.tensor1d(randomArray(ff.fc.config.outFeatures, 1)));
      const xs = randomArray(2 * 3 * 4, 4);
      const out = ff.forward(tf.tensor3d(xs, [2, 3, 4]));
      expect(out.auxLoss).toBeUndefined();
      const w1 = ff.fc.weight.arraySync() as number[][];
      const b1 = ff.fc.bias!.arraySync() as number[];
      const w2 = ff.proj.weight.arraySync() as number[][];
      const b2 = ff.proj.bias!.arraySync() as number[];
      const expected: number[] = [];
      for (let r = 0; r < 6; r++) {
        const h = dense(xs.slice(r * 4, r * 4 + 4), w1, b1);
        const act =
          activation === 'gelu' ? h.map(geluRef) : h.slice(0, 3).map((g, i) => siluRef(g) * h[3 + i]!);
        expected.push(...dense(act, w2, b2));
      }
      expectClose(out.output.dataSync(), expected, 1e-5);
      out.output.dispose();
      const x = tf.tensor3d(xs, [2, 3, 4]);
      checkGradients(() => tf.sum(tf.square(ff.forward(x).output)), ff.parameters(), { maxPerVariable: 4 });
      x.dispose();
      ff.dispose();
    });
  }
});
