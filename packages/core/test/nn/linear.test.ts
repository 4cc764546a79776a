import { expect, it } from 'vitest';
import { LabError, Linear, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { checkGradients, randomArray } from './grad-check.js';

describeBackends('Linear', () => {
  it('computes x W + b over the last axis (vs a plain loop)', () => {
    const fc = new Linear({ inFeatures: 4, outFeatures: 3, seed: 2, initStd: 0.5 });
    fc.bias!.assign(tf.tensor1d([0.1, -0.2, 0.3]));
    const xs = randomArray(2 * 5 * 4, 1);
    const y = tf.tidy(() => fc.forward(tf.tensor3d(xs, [2, 5, 4])).arraySync());
    const w = fc.weight.arraySync() as number[][];
    const b = fc.bias!.arraySync() as number[];
    const expected: number[] = [];
    for (let r = 0; r < 10; r++) {
      for (let o = 0; o < 3; o++) {
        let acc = b[o]!;
        for (let i = 0; i < 4; i++) acc += xs[r * 4 + i]! * w[i]![o]!;
        expected.push(acc);
      }
    }
    expect([y.length, y[0]!.length, y[0]![0]!.length]).toEqual([2, 5, 3]);
    expectClose(y.flat(2), expected);
    fc.dispose();
  });

  it('has correct gradients and no bias when bias=false', () => {
    const fc = new Linear({ inFeatures: 3, outFeatures: 2, bias: false, seed: 1, initStd: 0.5 });
    expect(fc.namedParameters().map(([n]) => n)).toEqual(['weight']);
    const x = tf.tensor2d(randomArray(12, 3), [4, 3]);
    checkGradients(() => tf.sum(tf.square(fc.forward(x))), fc.parameters());
    x.dispose();
    fc.dispose();
  });

  it('names the shape in its error', () => {
    const fc = new Linear({ inFeatures: 3, outFeatures: 2 });
    expect(() => fc.forward(tf.zeros([2, 4]))).toThrow(LabError);
    fc.dispose();
  });
});
