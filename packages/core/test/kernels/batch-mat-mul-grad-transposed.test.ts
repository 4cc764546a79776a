import { describe, expect, it } from 'vitest';
import { initBackend, tf, transposedMatMulGradActive } from '../../src/index.js';
import { plainWasmKernelsActive, registerMissingKernels } from '../../src/kernels/register.js';
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

describe('registerMissingKernels switches with the accelerator and LAB_WASM_KERNELS', () => {
  it('keeps tfjs gradients when an accelerator serves BatchMatMul, and restores wasm kernels on request', async () => {
    await initBackend({ prefer: 'wasm', native: false });
    expect(transposedMatMulGradActive()).toBe(true);
    registerMissingKernels('wasm', { accelerator: true });
    expect(transposedMatMulGradActive()).toBe(false);
    registerMissingKernels('wasm');
    expect(transposedMatMulGradActive()).toBe(true);
    const before = process.env.LAB_WASM_KERNELS;
    process.env.LAB_WASM_KERNELS = '0';
    try {
      registerMissingKernels('wasm');
      expect(plainWasmKernelsActive()).toEqual([]);
      expect(tf.getKernel('LabFusedLayerNorm', 'wasm')).toBeUndefined();
      // gather's gradient still works: UnsortedSegmentSum is missing on wasm, not replaced.
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([1, 1], 'int32'))))(
        tf.ones([3, 2]),
      );
      expect(Array.from(g.dataSync())).toEqual([0, 0, 2, 2, 0, 0]);
    } finally {
      if (before === undefined) delete process.env.LAB_WASM_KERNELS;
      else process.env.LAB_WASM_KERNELS = before;
    }
    registerMissingKernels('wasm');
    expect(plainWasmKernelsActive().length).toBeGreaterThan(0);
  });
});
