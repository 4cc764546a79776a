import { it } from 'vitest';
import { LayerNorm, RMSNorm, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { checkGradients, randomArray } from './grad-check.js';

function plainNorm(
  xs: number[],
  dim: number,
  w: number[],
  b: number[] | null,
  rms: boolean,
  eps: number,
): number[] {
  const out: number[] = [];
  for (let r = 0; r < xs.length / dim; r++) {
    const row = xs.slice(r * dim, (r + 1) * dim);
    const mean = rms ? 0 : row.reduce((a, c) => a + c, 0) / dim;
    const ms = row.reduce((a, c) => a + (c - mean) ** 2, 0) / dim;
    row.forEach((v, k) => {
      out.push(((v - mean) / Math.sqrt(ms + eps)) * w[k]! + (b ? b[k]! : 0));
    });
  }
  return out;
}

describeBackends('LayerNorm and RMSNorm', () => {
  it('LayerNorm matches a plain computation', () => {
    const ln = new LayerNorm({ dim: 6 });
    ln.weight.assign(tf.tensor1d(randomArray(6, 2)));
    ln.bias!.assign(tf.tensor1d(randomArray(6, 3)));
    const xs = randomArray(24, 1).map((v) => v * 3 + 1);
    const y = tf.tidy(() => ln.forward(tf.tensor3d(xs, [2, 2, 6])).dataSync());
    expectClose(y, plainNorm(xs, 6, randomArray(6, 2), randomArray(6, 3), false, 1e-5), 1e-4);
    const x = tf.tensor2d(xs.slice(0, 12), [2, 6]);
    checkGradients(
      () => tf.sum(tf.mul(ln.forward(x), tf.tensor2d(randomArray(12, 9), [2, 6]))),
      ln.parameters(),
    );
    x.dispose();
    ln.dispose();
  });

  it('RMSNorm matches a plain computation and has correct gradients', () => {
    const norm = new RMSNorm({ dim: 4, eps: 1e-6 });
    norm.weight.assign(tf.tensor1d(randomArray(4, 5)));
    const xs = randomArray(12, 6);
    const y = tf.tidy(() => norm.forward(tf.tensor2d(xs, [3, 4])).dataSync());
    expectClose(y, plainNorm(xs, 4, randomArray(4, 5), null, true, 1e-6), 1e-4);
    const x = tf.tensor2d(xs, [3, 4]);
    checkGradients(
      () => tf.sum(tf.mul(norm.forward(x), tf.tensor2d(randomArray(12, 8), [3, 4]))),
      norm.parameters(),
    );
    // Input gradient too (through the normaliser), by finite differences on x.
    const gx = tf
      .grad((t: tf.Tensor) => tf.sum(tf.square(norm.forward(t))))(x)
      .dataSync();
    const f = (arr: number[]) =>
      tf.tidy(() => tf.sum(tf.square(norm.forward(tf.tensor2d(arr, [3, 4])))).dataSync()[0]!);
    for (const i of [0, 5, 11]) {
      const up = xs.slice();
      const down = xs.slice();
      up[i]! += 1e-2;
      down[i]! -= 1e-2;
      expectClose([gx[i]!], [(f(up) - f(down)) / 2e-2], 2e-2, 2e-2);
    }
    x.dispose();
    norm.dispose();
  });
});
