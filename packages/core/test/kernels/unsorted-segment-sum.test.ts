import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/index.js';
import { segmentSumInto } from '../../src/kernels/segment-sum-impl.js';
import { expectClose } from '../helpers.js';

/** Runs fn on a backend and returns plain arrays (wasm without the accelerator: core's own kernels). */
async function on<T>(backend: 'wasm' | 'cpu', fn: () => T): Promise<T> {
  await initBackend({ prefer: backend, native: false });
  return fn();
}

function randomCase(seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const rows = 5 + Math.floor(rand() * 20);
  const inner = 1 + Math.floor(rand() * 6);
  const numSegments = 1 + Math.floor(rand() * 8);
  const x = Array.from({ length: rows * inner }, () => rand() * 2 - 1);
  // Include out-of-range ids (dropped, as in TensorFlow).
  const ids = Array.from({ length: rows }, () => Math.floor(rand() * (numSegments + 2)) - 1);
  return { rows, inner, numSegments, x, ids };
}

describe('UnsortedSegmentSum kernels', () => {
  it('wasm and the fast cpu kernel match a plain loop and each other on random inputs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const c = randomCase(seed);
      const expected = new Float32Array(c.numSegments * c.inner);
      segmentSumInto(c.x, c.ids, c.inner, c.numSegments, expected);
      // Reference loop written independently of segmentSumInto.
      const loop = new Array(c.numSegments * c.inner).fill(0);
      c.ids.forEach((id, r) => {
        if (id < 0 || id >= c.numSegments) return;
        for (let k = 0; k < c.inner; k++) loop[id * c.inner + k] += c.x[r * c.inner + k]!;
      });
      expectClose(expected, loop, 1e-6);
      for (const backend of ['wasm', 'cpu'] as const) {
        const got = await on(backend, () =>
          tf.tidy(() =>
            tf
              .unsortedSegmentSum(
                tf.tensor2d(c.x, [c.rows, c.inner]),
                tf.tensor1d(c.ids, 'int32'),
                c.numSegments,
              )
              .dataSync(),
          ),
        );
        expectClose(got, loop, 1e-5);
      }
      // int32 takes the JavaScript path on wasm (the wasm kernel is float32 only).
      const xi = c.x.map((v) => Math.round(v * 100));
      const loopI = new Array(c.numSegments * c.inner).fill(0);
      c.ids.forEach((id, r) => {
        if (id < 0 || id >= c.numSegments) return;
        for (let k = 0; k < c.inner; k++) loopI[id * c.inner + k] += xi[r * c.inner + k]!;
      });
      const gotI = await on('wasm', () =>
        tf.tidy(() =>
          Array.from(
            tf
              .unsortedSegmentSum(
                tf.tensor2d(xi, [c.rows, c.inner], 'int32'),
                tf.tensor1d(c.ids, 'int32'),
                c.numSegments,
              )
              .dataSync(),
          ),
        ),
      );
      expect(gotI).toEqual(loopI);
    }
  });

  it('matches the built-in cpu kernel (int32 too, rank-3 input)', async () => {
    await initBackend({ prefer: 'cpu' });
    const x = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => i),
      [4, 3, 2],
      'int32',
    );
    const ids = tf.tensor1d([2, 0, 2, 1], 'int32');
    const ours = tf.unsortedSegmentSum(x, ids, 3);
    // The built-in, reached by a direct call of its kernel function on the cpu backend.
    const { unsortedSegmentSumConfig } = await import(
      '@tensorflow/tfjs-backend-cpu/dist/kernels/UnsortedSegmentSum.js'
    );
    const info = unsortedSegmentSumConfig.kernelFunc({
      inputs: { x, segmentIds: ids },
      backend: tfc.backend(),
      attrs: { numSegments: 3 },
    } as never) as tf.TensorInfo;
    const builtin = tfc.engine().makeTensorFromTensorInfo(info);
    expect(ours.dtype).toBe('int32');
    expect(ours.shape).toEqual([3, 3, 2]);
    expect(Array.from(ours.dataSync())).toEqual(Array.from(builtin.dataSync()));
    tf.dispose([x, ids, ours, builtin]);
  });

  it("gather's gradient on wasm equals cpu's (axis 0 and axis 1)", async () => {
    const table = Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i));
    const idx = [3, 0, 3, 6, 1, 3, 2];
    const dy = Array.from({ length: 7 * 5 }, (_, i) => Math.cos(i * 0.7));
    const grads = async (backend: 'wasm' | 'cpu') =>
      on(backend, () =>
        tf.tidy(() => {
          const t = tf.tensor2d(table, [7, 5]);
          const i = tf.tensor1d(idx, 'int32');
          const g0 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, i), tf.tensor2d(dy, [7, 5]))))(t);
          const g1 = tf.grad((a: tf.Tensor) =>
            tf.sum(tf.mul(tf.gather(a, tf.tensor1d([4, 4, 0], 'int32'), 1), tf.ones([7, 3]))),
          )(t);
          return [Array.from(g0.dataSync()), Array.from(g1.dataSync())];
        }),
      );
    const [w0, w1] = await grads('wasm');
    const [c0, c1] = await grads('cpu');
    expectClose(w0!, c0!, 1e-5);
    expectClose(w1!, c1!, 1e-5);
  });
});
