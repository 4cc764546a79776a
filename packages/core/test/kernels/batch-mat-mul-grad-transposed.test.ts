import { describe, expect, it } from 'vitest';
import { initBackend, tf, transposedMatMulGradActive } from '../../src/index.js';
import { expectClose } from '../helpers.js';

function values(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** Gradients of sum((a·b)²) for every transpose flag combination, rank 2 and rank 3. */
function matMulGrads(): number[][] {
  return tf.tidy(() => {
    const out: number[][] = [];
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = tf.tensor2d(
          values(12, (i) => Math.sin(i + 1)),
          ta ? [4, 3] : [3, 4],
        );
        const b = tf.tensor2d(
          values(20, (i) => Math.cos(i)),
          tb ? [5, 4] : [4, 5],
        );
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))))(
          [a, b],
        );
        out.push(Array.from(ga!.dataSync()), Array.from(gb!.dataSync()));
      }
    }
    const a3 = tf.tensor3d(
      values(24, (i) => Math.sin(i)),
      [2, 3, 4],
    );
    const b3 = tf.tensor3d(
      values(24, (i) => Math.cos(i)),
      [2, 3, 4],
    );
    const [ga3, gb3] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.square(tf.matMul(x, y, false, true))),
    )([a3, b3]);
    out.push(Array.from(ga3!.dataSync()), Array.from(gb3!.dataSync()));
    return out;
  });
}

describe('BatchMatMul gradient with explicit transposes', () => {
  it('is active on plain wasm only and gives the same gradients as tfjs (all flag combinations)', async () => {
    await initBackend({ prefer: 'wasm', native: false });
    expect(transposedMatMulGradActive()).toBe(true);
    const wasm = matMulGrads();
    await initBackend({ prefer: 'cpu' });
    expect(transposedMatMulGradActive()).toBe(false);
    const cpu = matMulGrads();
    expect(wasm).toHaveLength(10);
    for (let i = 0; i < wasm.length; i++) expectClose(wasm[i]!, cpu[i]!, 1e-4);
  });
});
