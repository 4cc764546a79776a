import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { maskedCrossEntropy } from '../../src/index.js';
import { seededRandom } from '../generate/random.js';
import { describeBackends, expectClose, expectNoLeak } from '../helpers.js';

function manualLoss(logits: Float64Array, targets: number[], mask: number[], vocab: number): number {
  let sum = 0;
  let count = 0;
  targets.forEach((t, i) => {
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[i * vocab + v]!);
    let z = 0;
    for (let v = 0; v < vocab; v++) z += Math.exp(logits[i * vocab + v]! - max);
    const nll = Math.log(z) + max - logits[i * vocab + t]!;
    sum += nll * mask[i]!;
    count += mask[i]!;
  });
  return sum / Math.max(count, 1);
}

describeBackends('maskedCrossEntropy', () => {
  const [b, t, vocab] = [2, 3, 5];
  const rand = seededRandom(11);
  const logitsData = Float64Array.from({ length: b * t * vocab }, () => rand() * 6 - 3);
  const targets = Array.from({ length: b * t }, () => Math.floor(rand() * vocab));
  const mask = [1, 0, 1, 1, 1, 0];

  it('equals the manual mean over unmasked positions, and the plain formula', async () => {
    await expectNoLeak(() => {
      const logits = tf.tensor3d(Float32Array.from(logitsData), [b, t, vocab]);
      const tt = tf.tensor2d(targets, [b, t], 'int32');
      const mm = tf.tensor2d(mask, [b, t]);
      const loss = maskedCrossEntropy(logits, tt, mm);
      expect(loss.dataSync()[0]).toBeCloseTo(manualLoss(logitsData, targets, mask, vocab), 5);
      // The plain formula with autodiff ops: -sum(mask * logSoftmax . onehot) / sum(mask).
      const plain = tf.tidy(() =>
        tf.div(
          tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tt, vocab)), -1), mm))),
          tf.sum(mm),
        ),
      );
      expect(loss.dataSync()[0]).toBeCloseTo(plain.dataSync()[0]!, 5);
      const unmasked = maskedCrossEntropy(logits, tt);
      expect(unmasked.dataSync()[0]).toBeCloseTo(
        manualLoss(logitsData, targets, [1, 1, 1, 1, 1, 1], vocab),
        5,
      );
      const zeros = tf.zeros([b, t]);
      const none = maskedCrossEntropy(logits, tt, zeros);
      expect(none.dataSync()[0]).toBe(0);
      tf.dispose([logits, tt, mm, loss, plain, unmasked, none, zeros]);
    });
  });

  it('its gradient matches autodiff of the plain formula and finite differences', async () => {
    const logits = tf.tensor3d(Float32Array.from(logitsData), [b, t, vocab]);
    const tt = tf.tensor2d(targets, [b, t], 'int32');
    const mm = tf.tensor2d(mask, [b, t]);
    await expectNoLeak(() => {
      const g = tf.grad((x: tf.Tensor) => tf.mul(maskedCrossEntropy(x, tt, mm), 2.5))(logits);
      const plainGrad = tf.grad((x: tf.Tensor) =>
        tf.mul(
          tf.div(
            tf.neg(tf.sum(tf.mul(tf.sum(tf.mul(tf.logSoftmax(x), tf.oneHot(tt, vocab)), -1), mm))),
            tf.sum(mm),
          ),
          2.5,
        ),
      )(logits);
      const gd = g.dataSync();
      expectClose(gd, plainGrad.dataSync(), 1e-6);
      // Central differences on the float64 reference.
      const h = 1e-4;
      const numeric = Array.from(logitsData, (_, i) => {
        const up = Float64Array.from(logitsData);
        const down = Float64Array.from(logitsData);
        up[i] = up[i]! + h;
        down[i] = down[i]! - h;
        return (
          (2.5 * (manualLoss(up, targets, mask, vocab) - manualLoss(down, targets, mask, vocab))) / (2 * h)
        );
      });
      expectClose(gd, numeric, 1e-5, 1e-3);
      // Masked positions get no gradient.
      for (let v = 0; v < vocab; v++) expect(Math.abs(gd[1 * vocab + v]!)).toBe(0);
      tf.dispose([g, plainGrad]);
    });
    tf.dispose([logits, tt, mm]);
  });

  it('stays exact when the target is far below the top logit (no -log(0) from an underflowed softmax)', () => {
    // exp(-300) underflows float32 (and float64 below ~-745): the loss must come from logsumexp, not -log p.
    const rows = [
      [0, -300, 5, 1],
      [1000, 999, 998, -1000],
      [-50, -50, -50, -50],
    ];
    const targets2 = [1, 3, 2];
    const loss = tf.tidy(
      () => maskedCrossEntropy(tf.tensor2d(rows), tf.tensor1d(targets2, 'int32')).dataSync()[0]!,
    );
    const expected = manualLoss(Float64Array.from(rows.flat()), targets2, [1, 1, 1], 4);
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(expected, 2);
    const grad = tf.tidy(() =>
      Array.from(
        tf
          .grad((x: tf.Tensor) => maskedCrossEntropy(x, tf.tensor1d(targets2, 'int32')))(tf.tensor2d(rows))
          .dataSync(),
      ),
    );
    // Row 0: softmax ≈ [e^-5, 0, 1, e^-4]/z; the target's -1 survives; each row's gradient sums to 0.
    expect(grad[1]).toBeCloseTo(-1 / 3, 5);
    for (let r = 0; r < 3; r++)
      expect(grad.slice(4 * r, 4 * r + 4).reduce((a, v) => a + v, 0)).toBeCloseTo(0, 5);
  });

  it('rejects mismatched shapes with a code', () => {
    const logits = tf.zeros([2, 3, 4]);
    const bad = tf.zeros([2, 4], 'int32');
    expect(() => maskedCrossEntropy(logits, bad)).toThrow(
      expect.objectContaining({ code: 'CROSS_ENTROPY_SHAPE' }),
    );
    tf.dispose([logits, bad]);
  });
});
