/**
 * The fused kernels (GELU, layer norm) and the native UnsortedSegmentSum:
 * against the composite/original kernels, numerical gradient checks, core's
 * modules taking the fused path, and no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fusedGelu, fusedLayerNorm, hasFusedKernel, scaledMatMul } from '../../core/src/backend/fused.js';
import { gelu } from '../../core/src/nn/activations.js';
import { LayerNorm } from '../../core/src/nn/layer-norm.js';
import { maskedCrossEntropy } from '../../core/src/train/cross-entropy.js';
import { FUSED_GELU, FUSED_LAYER_NORM } from '../src/index.js';
import {
  addonObject,
  expectClose,
  expectNoLeak,
  onOriginalKernels,
  rand,
  startAccelerated,
} from './helpers.js';

beforeAll(startAccelerated);
afterEach(() => {
  vi.restoreAllMocks();
});

/** Central differences of a scalar function of one tensor, element by element. */
function numericalGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice();
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] += eps;
    minus[i] -= eps;
    const fp = tf.tidy(() => f(tf.tensor(plus, x.shape)).dataSync()[0]!);
    const fm = tf.tidy(() => f(tf.tensor(minus, x.shape)).dataSync()[0]!);
    out[i] = (fp - fm) / (2 * eps);
  }
  return out;
}

describe('fused GELU', () => {
  it('is registered and used by core gelu(), matching the composite', async () => {
    expect(hasFusedKernel(FUSED_GELU)).toBe(true);
    const x = tf.mul(rand([4, 7, 9], 41), 3);
    const expected = onOriginalKernels(() => {
      expect(hasFusedKernel(FUSED_GELU)).toBe(false);
      return gelu(x);
    });
    const spy = vi.spyOn(addonObject(), 'gelu');
    const actual = gelu(x);
    expect(spy).toHaveBeenCalledTimes(1);
    expectClose(await actual.data(), await expected.data(), 1e-6, 1e-5);
    tf.dispose([x, expected, actual]);
  });

  it('has the composite gradient and passes a numerical gradient check', async () => {
    const x = tf.mul(rand([3, 8], 42), 2.5);
    const w = rand([3, 8], 43);
    const loss = (t: tf.Tensor) => tf.sum(tf.mul(gelu(t), w)) as tf.Scalar;
    const expected = onOriginalKernels(() => tf.grad(loss)(x));
    const spy = vi.spyOn(addonObject(), 'geluGrad');
    const actual = tf.grad(loss)(x);
    expect(spy).toHaveBeenCalledTimes(1);
    expectClose(await actual.data(), await expected.data(), 1e-5, 1e-4);
    expectClose(await actual.data(), numericalGrad(loss, x), 2e-3, 1e-2);
    await expectNoLeak(() => tf.dispose(tf.grad(loss)(x)));
    tf.dispose([x, w, expected, actual]);
  });

  it('matches the composite at extreme inputs (exp clamped) and passes NaN through', async () => {
    // Vector lengths and tails of every clone: 37 values.
    const values = [
      -1e30, -1e4, -200, -90, -60, -20, -8, -3, -1e-3, 0, 1e-20, 1e-3, 0.5, 3, 8, 20, 60, 90, 200, 1e4, 1e30,
    ];
    const x = tf.tensor1d([...values, ...values.slice(0, 16).map((v) => v / 7)]);
    const expected = onOriginalKernels(() => gelu(x));
    const actual = gelu(x);
    expectClose(await actual.data(), await expected.data(), 1e-6, 1e-5);
    const withNaN = tf.tensor1d([1, Number.NaN, -2, 0.5, 3, -1, 2, 0.1, -0.3]);
    const y = await gelu(withNaN).data();
    expect(Number.isNaN(y[1]!)).toBe(true);
    expect(Array.from(y).filter(Number.isNaN)).toHaveLength(1);
    const g = await tf
      .grad((t: tf.Tensor) => tf.sum(gelu(t)))(withNaN)
      .data();
    expect(Number.isNaN(g[1]!)).toBe(true);
    tf.dispose([x, expected, actual, withNaN]);
  });

  it('returns undefined for non-float32 input and handles empty tensors', () => {
    const i = tf.tensor1d([1, 2], 'int32');
    expect(fusedGelu(i)).toBeUndefined();
    const e = fusedGelu(tf.zeros([0, 3]))!;
    expect(e.shape).toEqual([0, 3]);
    tf.dispose([i, e]);
  });
});

describe('fused layer norm', () => {
  for (const bias of [true, false]) {
    it(`LayerNorm (bias ${bias}) takes the fused path and matches the composite, forward and backward`, async () => {
      const ln = new LayerNorm({ dim: 12, bias });
      // Non-trivial affine parameters.
      ln.weight.assign(tf.add(rand([12], 51), 1));
      ln.bias?.assign(rand([12], 52));
      const x = tf.add(tf.mul(rand([2, 5, 12], 53), 2), 0.5);
      const w = rand([2, 5, 12], 54);
      const params = [ln.weight, ...(ln.bias ? [ln.bias] : [])];
      const run = () =>
        tf.variableGrads(() => tf.sum(tf.mul(ln.forward(x), w)) as tf.Scalar, params as tf.Variable[]);
      const xGrad = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ln.forward(t), w)) as tf.Scalar)(x);
      const expected = onOriginalKernels(() => ({ y: ln.forward(x), ...run(), dx: xGrad() }));
      const spyF = vi.spyOn(addonObject(), 'layerNorm');
      const spyB = vi.spyOn(addonObject(), 'layerNormGrad');
      const actual = { y: ln.forward(x), ...run(), dx: xGrad() };
      expect(spyF).toHaveBeenCalled();
      expect(spyB).toHaveBeenCalled();
      expectClose(await actual.y.data(), await expected.y.data(), 1e-5, 1e-5);
      expectClose(await actual.value.data(), await expected.value.data(), 1e-4, 1e-5);
      expectClose(await actual.dx.data(), await expected.dx.data(), 1e-5, 1e-4);
      for (const p of params) {
        expectClose(await actual.grads[p.name]!.data(), await expected.grads[p.name]!.data(), 1e-4, 1e-4);
      }
      await expectNoLeak(() => {
        const r = run();
        tf.dispose([r.value, ...Object.values(r.grads)]);
      });
      tf.dispose([x, w, expected.y, expected.value, expected.dx, actual.y, actual.value, actual.dx]);
      tf.dispose([...Object.values(expected.grads), ...Object.values(actual.grads)]);
      ln.dispose?.();
    });
  }

  it('passes a numerical gradient check in x, gamma and beta', async () => {
    const x = tf.add(tf.mul(rand([3, 6], 61), 1.5), 0.3);
    const gamma = tf.add(rand([6], 62), 1);
    const beta = rand([6], 63);
    const w = rand([3, 6], 64);
    const eps = 1e-5;
    const lx = (t: tf.Tensor) => tf.sum(tf.mul(fusedLayerNorm(t, gamma, beta, eps)!, w)) as tf.Scalar;
    const lg = (t: tf.Tensor) => tf.sum(tf.mul(fusedLayerNorm(x, t, beta, eps)!, w)) as tf.Scalar;
    const lb = (t: tf.Tensor) => tf.sum(tf.mul(fusedLayerNorm(x, gamma, t, eps)!, w)) as tf.Scalar;
    for (const [f, at] of [
      [lx, x],
      [lg, gamma],
      [lb, beta],
    ] as const) {
      const g = tf.grad(f)(at);
      expectClose(await g.data(), numericalGrad(f, at), 3e-3, 1e-2);
      g.dispose();
    }
    tf.dispose([x, gamma, beta, w]);
  });

  it('declines shapes it does not cover (composite runs instead)', () => {
    const x = rand([2, 4], 65);
    expect(fusedLayerNorm(x, tf.ones([2, 4]), null, 1e-5)).toBeUndefined();
    expect(fusedLayerNorm(x, tf.ones([3]), null, 1e-5)).toBeUndefined();
    expect(hasFusedKernel(FUSED_LAYER_NORM)).toBe(true);
    x.dispose();
  });
});

describe('UnsortedSegmentSum as a native scatter-add', () => {
  it('matches the original kernel, dropping out-of-range ids', async () => {
    const x = rand([6, 2, 3], 71);
    const ids = tf.tensor1d([0, 3, 3, -1, 7, 1], 'int32');
    const expected = onOriginalKernels(() => tf.unsortedSegmentSum(x, ids, 5));
    const spy = vi.spyOn(addonObject(), 'scatterAddRows');
    const actual = tf.unsortedSegmentSum(x, ids, 5);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(actual.shape).toEqual([5, 2, 3]);
    expectClose(await actual.data(), await expected.data(), 1e-6, 1e-6);
    await expectNoLeak(() => tf.dispose(tf.unsortedSegmentSum(x, ids, 5)));
    tf.dispose([x, ids, expected, actual]);
  });

  it('gives the embedding (gather) gradient the original gives', async () => {
    const table = rand([20, 8], 72);
    const idx = tf.tensor2d([1, 5, 5, 19, 0, 1], [2, 3], 'int32');
    const w = rand([2, 3, 8], 73);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)) as tf.Scalar;
    const expected = onOriginalKernels(() => tf.grad(f)(table));
    const actual = tf.grad(f)(table);
    expectClose(await actual.data(), await expected.data(), 1e-6, 1e-6);
    tf.dispose([table, idx, w, expected, actual]);
  });

  it('leaves int32 data to the original kernel', async () => {
    const x = tf.tensor1d([1, 2, 3], 'int32');
    const ids = tf.tensor1d([1, 1, 0], 'int32');
    const spy = vi.spyOn(addonObject(), 'scatterAddRows');
    const s = tf.unsortedSegmentSum(x, ids, 2);
    expect(spy).not.toHaveBeenCalled();
    expect(Array.from(await s.data())).toEqual([3, 3]);
    tf.dispose([x, ids, s]);
  });
});

describe('scaled matmul (attention scale in sgemm alpha)', () => {
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`alpha * matMul(a, b, ${ta}, ${tb}) and its gradients match the composite`, async () => {
      const alpha = 1 / Math.sqrt(8);
      const a = rand(ta ? [2, 3, 8, 6] : [2, 3, 6, 8], 111);
      const b = rand(tb ? [2, 3, 5, 8] : [2, 3, 8, 5], 112);
      const w = rand([2, 3, 6, 5], 113);
      const composite = (x: tf.Tensor, y: tf.Tensor) => tf.mul(tf.matMul(x, y, ta, tb), alpha);
      const fused = (x: tf.Tensor, y: tf.Tensor) => scaledMatMul(x, y, ta, tb, alpha)!;
      const lossOf = (f: typeof composite) => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(f(x, y), w)) as tf.Scalar;
      const spy = vi.spyOn(addonObject(), 'sgemm');
      const y = fused(a, b);
      expect(spy).toHaveBeenCalledTimes(1);
      const want = composite(a, b);
      expectClose(await y.data(), await want.data(), 1e-5, 1e-5);
      const [ga, gb] = tf.grads(lossOf(fused))([a, b]);
      const [ea, eb] = tf.grads(lossOf(composite))([a, b]);
      expectClose(await ga!.data(), await ea!.data(), 1e-5, 1e-5);
      expectClose(await gb!.data(), await eb!.data(), 1e-5, 1e-5);
      expectClose(
        await ga!.data(),
        numericalGrad((t) => lossOf(fused)(t, b), a),
        3e-3,
        1e-2,
      );
      await expectNoLeak(() => tf.dispose(tf.grads(lossOf(fused))([a, b])));
      tf.dispose([a, b, w, y, want, ga!, gb!, ea!, eb!]);
    });
  }

  it('declines operands it does not cover', () => {
    const a = rand([2, 4, 3], 114);
    expect(scaledMatMul(a, rand([1, 3, 5], 115), false, false, 0.5)).toBeUndefined(); // batch broadcast
    expect(scaledMatMul(a, rand([3, 5], 116), false, false, 0.5)).toBeUndefined(); // rank mismatch
    expect(scaledMatMul(a, rand([2, 4, 5], 117), false, false, 0.5)).toBeUndefined(); // inner mismatch
    tf.dispose(a);
  });
});

describe('fused softmax cross-entropy', () => {
  for (const masked of [false, true]) {
    it(`maskedCrossEntropy (mask ${masked}) takes the fused path and matches the composite, value and gradient`, async () => {
      const logits = tf.mul(rand([3, 5, 11], 121), 3);
      const targets = tf.tensor2d([0, 3, 10, 4, 4, 1, 2, 9, 0, 7, 5, 5, 6, 8, 1], [3, 5], 'int32');
      const mask = masked ? tf.tensor2d([1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1], [3, 5]) : null;
      const f = (x: tf.Tensor) => maskedCrossEntropy(x, targets, mask);
      const expected = onOriginalKernels(() => ({ value: f(logits), grad: tf.grad(f)(logits) }));
      const spyF = vi.spyOn(addonObject(), 'softmaxXent');
      const spyB = vi.spyOn(addonObject(), 'softmaxXentGrad');
      const value = f(logits);
      const grad = tf.grad(f)(logits);
      expect(spyF).toHaveBeenCalled();
      expect(spyB).toHaveBeenCalledTimes(1);
      expectClose(await value.data(), await expected.value.data(), 1e-6, 1e-6);
      expectClose(await grad.data(), await expected.grad.data(), 1e-7, 1e-5);
      expectClose(await grad.data(), numericalGrad(f, logits, 1e-2), 2e-4, 1e-2);
      await expectNoLeak(() => tf.dispose([f(logits), tf.grad(f)(logits)]));
      tf.dispose([logits, targets, value, grad, expected.value, expected.grad, ...(mask ? [mask] : [])]);
    });
  }

  it('a NaN logit outside the targets still makes the loss NaN; extreme logits stay finite', async () => {
    const rows = [
      [0.5, Number.NaN, 1, -1, 2, 0, 0.3, 0.1, 1.5],
      [1e4, -1e4, 0, 50, -50, 3, 2, 1, 0],
    ];
    const targets = tf.tensor1d([0, 2], 'int32');
    const nan = tf.tensor2d([rows[0]!]);
    expect(Number.isNaN((await maskedCrossEntropy(nan, tf.tensor1d([0], 'int32')).data())[0]!)).toBe(true);
    const big2 = tf.tensor2d([rows[1]!, rows[1]!], [2, 9]);
    const f = (x: tf.Tensor) => maskedCrossEntropy(x, targets);
    const expected = onOriginalKernels(() => ({ value: f(big2), grad: tf.grad(f)(big2) }));
    expectClose(await f(big2).data(), await expected.value.data(), 1e-6, 1e-6);
    expectClose(await tf.grad(f)(big2).data(), await expected.grad.data(), 1e-7, 1e-5);
    tf.dispose([targets, nan, big2, expected.value, expected.grad]);
  });

  it('an all-zero mask gives 0 and zero gradients; an out-of-range target throws', async () => {
    const logits = rand([2, 4], 122);
    const targets = tf.tensor1d([1, 3], 'int32');
    const zero = tf.zeros([2]);
    const l = maskedCrossEntropy(logits, targets, zero);
    expect((await l.data())[0]).toBe(0);
    const g = tf.grad((x: tf.Tensor) => maskedCrossEntropy(x, targets, zero))(logits);
    expect(Array.from(await g.data()).every((v) => v === 0)).toBe(true);
    const bad = tf.tensor1d([1, 4], 'int32');
    await expectNoLeak(() => {
      expect(() => maskedCrossEntropy(logits, bad)).toThrow(/not in \[0, 3\]/);
    });
    tf.dispose([logits, targets, zero, l, g, bad]);
  });
});
