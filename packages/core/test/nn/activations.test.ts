import { it } from 'vitest';
import { gelu, silu, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';

describeBackends('activations', () => {
  it('gelu equals the tanh form and silu equals x·sigmoid(x)', () => {
    const xs = Array.from({ length: 41 }, (_, i) => (i - 20) / 4);
    const g = tf.tidy(() => gelu(tf.tensor1d(xs)).dataSync());
    const s = tf.tidy(() => silu(tf.tensor1d(xs)).dataSync());
    expectClose(
      g,
      xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))),
      1e-5,
    );
    expectClose(
      s,
      xs.map((x) => x / (1 + Math.exp(-x))),
      1e-5,
    );
    // Gradient of gelu against the derivative of the tanh form.
    const dg = tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) => tf.sum(gelu(t)))(tf.tensor1d(xs))
        .dataSync(),
    );
    const ref = xs.map((x) => {
      const u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3);
      const du = Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * x ** 2);
      const t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    });
    expectClose(dg, ref, 1e-4);
  });
});
