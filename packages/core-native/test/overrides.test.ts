/**
 * The kernel overrides (Sum over leading axes, Identity and same-dtype Cast
 * aliasing, GatherV2 on axis 0) against the wasm backend's own kernels, and
 * the cases each leaves to the original kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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

describe('Sum over leading axes', () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims: boolean; blas: boolean }[] = [
    { shape: [64, 32], axis: 0, keepDims: false, blas: true },
    { shape: [64, 32], axis: 0, keepDims: true, blas: true },
    { shape: [4, 16, 32], axis: [0, 1], keepDims: false, blas: true },
    { shape: [4, 16, 32], axis: [1, 0], keepDims: true, blas: true },
    { shape: [4, 16, 32], axis: [-3, -2], keepDims: false, blas: true },
    { shape: [4, 16, 32], axis: 0, keepDims: false, blas: true },
    { shape: [4, 16, 32], axis: [0, 1, 2], keepDims: false, blas: true },
    { shape: [300], axis: 0, keepDims: false, blas: true },
    { shape: [4, 16, 32], axis: -1, keepDims: false, blas: false },
    { shape: [4, 16, 32], axis: [0, 2], keepDims: false, blas: false },
    { shape: [4, 16, 32], axis: 1, keepDims: true, blas: false },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.shape)} axis ${JSON.stringify(c.axis)} keepDims=${c.keepDims}`, async () => {
      const x = rand(c.shape, 11);
      const expected = onOriginalKernels(() => tf.sum(x, c.axis, c.keepDims));
      const spy = vi.spyOn(addonObject(), 'sumRows');
      const actual = tf.sum(x, c.axis, c.keepDims);
      expect(spy.mock.calls.length).toBe(c.blas ? 1 : 0);
      expect(actual.shape).toEqual(expected.shape);
      expectClose(await actual.data(), await expected.data(), 1e-4, 1e-5);
      await expectNoLeak(() => tf.dispose(tf.sum(x, c.axis, c.keepDims)));
      tf.dispose([x, expected, actual]);
    });
  }

  it('sums an empty leading axis to zeros and leaves int32 to the original', async () => {
    const empty = tf.zeros([0, 5]);
    const s = tf.sum(empty, 0);
    expect(s.shape).toEqual([5]);
    expect(Array.from(await s.data())).toEqual([0, 0, 0, 0, 0]);
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const spy = vi.spyOn(addonObject(), 'sumRows');
    const si = tf.sum(ints, 0);
    expect(spy).not.toHaveBeenCalled();
    expect(si.dtype).toBe('int32');
    expect(Array.from(await si.data())).toEqual([9, 12]);
    tf.dispose([empty, s, ints, si]);
  });

  it('gives the bias gradient the original kernels give', async () => {
    const x = rand([4, 16, 32], 12);
    const bias = rand([32], 13);
    const f = (b: tf.Tensor) => tf.sum(tf.square(tf.add(x, b)));
    const expected = onOriginalKernels(() => tf.grad(f)(bias));
    const actual = tf.grad(f)(bias);
    expectClose(await actual.data(), await expected.data(), 1e-3, 1e-5);
    tf.dispose([x, bias, expected, actual]);
  });
});

describe('Identity and Cast aliasing', () => {
  it('clone shares memory yet stays valid after the source is disposed', async () => {
    const x = rand([8, 8], 21);
    const want = Array.from(await x.data());
    const before = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    // An alias shares the data buffer instead of allocating a new one.
    expect(tf.memory().numDataBuffers).toBe(before);
    x.dispose();
    expect(Array.from(await y.data())).toEqual(want);
    y.dispose();
  });

  it('same-dtype cast aliases; a real conversion still converts', async () => {
    const x = tf.tensor1d([1.7, -2.2, 3.5]);
    const same = tf.cast(x, 'float32');
    expect(Array.from(await same.data())).toEqual(Array.from(await x.data()));
    const ints = tf.cast(x, 'int32');
    const expected = onOriginalKernels(() => tf.cast(x, 'int32'));
    expect(ints.dtype).toBe('int32');
    expect(Array.from(await ints.data())).toEqual(Array.from(await expected.data()));
    const i = tf.tensor1d([3, 4], 'int32');
    const ii = tf.cast(i, 'int32');
    i.dispose();
    expect(Array.from(await ii.data())).toEqual([3, 4]);
    tf.dispose([x, same, ints, expected, ii]);
  });

  it('leaks nothing', async () => {
    const x = rand([4, 4], 22);
    await expectNoLeak(() => {
      tf.dispose([tf.clone(x), tf.cast(x, 'float32'), tf.cast(x, 'int32')]);
    });
    // The data buffer count returns too (the alias released its reference).
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers);
    x.dispose();
  });
});

describe('GatherV2 on axis 0', () => {
  it('gathers embedding rows like the original kernel, float32 and int32, any indices shape', async () => {
    const table = rand([40, 16], 31);
    const intTable = tf.tensor2d(
      Array.from({ length: 40 * 3 }, (_, i) => i),
      [40, 3],
      'int32',
    );
    const idx = tf.tensor2d([0, 5, 39, 5, 2, 2, 17, 0], [2, 4], 'int32');
    // Also single values (rows of 4 bytes take a plain copy loop), float32 and int32.
    const flat = tf.reshape(table, [640]);
    const flatInt = tf.reshape(intTable, [120]);
    for (const x of [table, intTable, tf.reshape(table, [40, 4, 4]), flat, flatInt]) {
      const expected = onOriginalKernels(() => tf.gather(x, idx));
      const spy = vi.spyOn(addonObject(), 'gatherRows');
      const actual = tf.gather(x, idx);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      expect(actual.shape).toEqual(expected.shape);
      expect(actual.dtype).toBe(expected.dtype);
      expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
      await expectNoLeak(() => tf.dispose(tf.gather(x, idx)));
      tf.dispose([expected, actual]);
    }
    tf.dispose([table, intTable, idx, flat, flatInt]);
  });

  it('leaves other axes and batchDims to the original kernel', async () => {
    const x = rand([3, 5, 4], 32);
    const idx = tf.tensor1d([4, 0, 2], 'int32');
    const spy = vi.spyOn(addonObject(), 'gatherRows');
    const expected = onOriginalKernels(() => tf.gather(x, idx, 1));
    const actual = tf.gather(x, idx, 1);
    expect(spy).not.toHaveBeenCalled();
    expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
    // batchDims goes to the original too (whose output there depends on heap
    // contents in tfjs-backend-wasm 4.22, so only the routing is checked).
    const bidx = tf.tensor2d([1, 0, 2, 2, 0, 1], [3, 2], 'int32');
    const ab = tf.gather(x, bidx, 1, 1);
    expect(spy).not.toHaveBeenCalled();
    tf.dispose([x, idx, expected, actual, bidx, ab]);
  });

  it('throws the original error for an out-of-range index, without leaking', async () => {
    const x = rand([4, 2], 33);
    const bad = tf.tensor1d([1, 4], 'int32');
    const neg = tf.tensor1d([-1], 'int32');
    await expectNoLeak(() => {
      expect(() => tf.gather(x, bad)).toThrow(/not in \[0, 3\]/);
      expect(() => tf.gather(x, neg)).toThrow(/not in \[0, 3\]/);
    });
    tf.dispose([x, bad, neg]);
  });

  it('handles empty indices and gives the same embedding gradient', async () => {
    const x = rand([10, 4], 34);
    const none = tf.tensor1d([], 'int32');
    const g = tf.gather(x, none);
    expect(g.shape).toEqual([0, 4]);
    const idx = tf.tensor1d([1, 1, 3, 9], 'int32');
    const f = (t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx)));
    const expected = onOriginalKernels(() => tf.grad(f)(x));
    const actual = tf.grad(f)(x);
    expectClose(await actual.data(), await expected.data(), 1e-5, 1e-5);
    tf.dispose([x, none, g, idx, expected, actual]);
  });
});

describe('Concat and SplitV as strided row copies', () => {
  const concatCases: { shapes: number[][]; axis: number }[] = [
    {
      shapes: [
        [64, 32],
        [64, 32],
        [64, 32],
      ],
      axis: 1,
    },
    {
      shapes: [
        [64, 32],
        [64, 8],
      ],
      axis: -1,
    },
    {
      shapes: [
        [3, 5],
        [2, 5],
      ],
      axis: 0,
    },
    {
      shapes: [
        [2, 3, 4],
        [2, 1, 4],
        [2, 0, 4],
      ],
      axis: 1,
    },
    {
      shapes: [
        [2, 3, 4, 5],
        [2, 3, 4, 1],
      ],
      axis: 3,
    },
  ];
  for (const c of concatCases) {
    it(`concat ${JSON.stringify(c.shapes)} axis ${c.axis}`, async () => {
      const xs = c.shapes.map((s, i) => rand(s, 80 + i));
      const expected = onOriginalKernels(() => tf.concat(xs, c.axis));
      const spy = vi.spyOn(addonObject(), 'copyRows');
      const actual = tf.concat(xs, c.axis);
      expect(spy).toHaveBeenCalled();
      expect(actual.shape).toEqual(expected.shape);
      expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
      await expectNoLeak(() => tf.dispose(tf.concat(xs, c.axis)));
      tf.dispose([...xs, expected, actual]);
    });
  }

  it('concat of int32 matches; mixed ranks are rejected as before', async () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const b = tf.tensor2d([5, 6], [2, 1], 'int32');
    const c = tf.concat([a, b], 1);
    expect(Array.from(await c.data())).toEqual([1, 2, 5, 3, 4, 6]);
    expect(() => tf.concat([a, tf.ones([3, 1], 'int32')], 1)).toThrow();
    tf.dispose([a, b, c]);
  });

  const splitCases: { shape: number[]; splits: number | number[]; axis: number }[] = [
    { shape: [64, 96], splits: 3, axis: 1 },
    { shape: [64, 96], splits: [32, 48, 16], axis: -1 },
    { shape: [6, 4], splits: [2, -1], axis: 0 },
    { shape: [2, 6, 3], splits: [1, 0, 5], axis: 1 },
  ];
  for (const c of splitCases) {
    it(`split ${JSON.stringify(c.shape)} into ${JSON.stringify(c.splits)} on axis ${c.axis}, and its gradient`, async () => {
      const x = rand(c.shape, 90);
      const expected = onOriginalKernels(() => tf.split(x, c.splits, c.axis));
      const spy = vi.spyOn(addonObject(), 'copyRows');
      const actual = tf.split(x, c.splits, c.axis);
      expect(spy).toHaveBeenCalled();
      expect(actual.length).toBe(expected.length);
      for (let i = 0; i < actual.length; i++) {
        expect(actual[i]!.shape).toEqual(expected[i]!.shape);
        expect(Array.from(await actual[i]!.data())).toEqual(Array.from(await expected[i]!.data()));
      }
      const f = (t: tf.Tensor) =>
        tf.addN(tf.split(t, c.splits, c.axis).map((p, i) => tf.sum(tf.mul(p, i + 1)))) as tf.Scalar;
      const ge = onOriginalKernels(() => tf.grad(f)(x));
      const ga = tf.grad(f)(x);
      expect(Array.from(await ga.data())).toEqual(Array.from(await ge.data()));
      await expectNoLeak(() => tf.dispose(tf.split(x, c.splits, c.axis)));
      tf.dispose([x, ...expected, ...actual, ge, ga]);
    });
  }
});

describe('Transpose as a native strided copy', () => {
  const cases: { shape: number[]; perm: number[] }[] = [
    { shape: [4, 16, 4, 8], perm: [0, 2, 1, 3] },
    { shape: [4, 4, 16, 8], perm: [0, 2, 1, 3] },
    { shape: [64, 32], perm: [1, 0] },
    { shape: [2, 3, 4, 5], perm: [3, 1, 0, 2] },
    { shape: [2, 3, 4, 5, 6], perm: [2, 0, 4, 1, 3] },
    { shape: [3, 0, 2], perm: [2, 0, 1] },
    { shape: [7], perm: [0] },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.shape)} by ${JSON.stringify(c.perm)} matches the original, float32 and int32`, async () => {
      for (const x of [rand(c.shape, 95), tf.cast(tf.mul(rand(c.shape, 96), 100), 'int32')]) {
        const expected = onOriginalKernels(() => tf.transpose(x, c.perm));
        const spy = vi.spyOn(addonObject(), 'transpose');
        const actual = tf.transpose(x, c.perm);
        // tfjs answers rank-1 transposes with a clone, without the kernel.
        expect(spy.mock.calls.length).toBe(x.size > 0 && x.rank > 1 ? 1 : 0);
        spy.mockRestore();
        expect(actual.shape).toEqual(expected.shape);
        expect(actual.dtype).toBe(x.dtype);
        expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
        await expectNoLeak(() => tf.dispose(tf.transpose(x, c.perm)));
        tf.dispose([x, expected, actual]);
      }
    });
  }
});
