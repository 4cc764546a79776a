/**
 * The BLAS BatchMatMul against the wasm backend's own kernel on every shape,
 * transpose and batch case the transformer uses, plus broadcasting, empty
 * dimensions, non-float32 inputs and heap growth during the call.
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

type Case = { name: string; a: number[]; b: number[]; blas: boolean };

// [batch*seq, d] = [64, 32], d 32, 4 heads of 8, ffn 128, vocab 40 (tiny stand-ins for 1024x128 etc.).
const CASES: Case[] = [
  { name: 'qkv projection', a: [64, 32], b: [32, 96], blas: true },
  { name: 'ffn up', a: [64, 32], b: [32, 128], blas: true },
  { name: 'ffn down', a: [64, 128], b: [128, 32], blas: true },
  { name: 'lm head', a: [64, 32], b: [32, 40], blas: true },
  { name: 'rank-3 activations x rank-2 weight', a: [4, 16, 32], b: [32, 48], blas: true },
  { name: 'attention scores [B,H,T,hd]x[B,H,hd,T]', a: [2, 4, 16, 8], b: [2, 4, 8, 16], blas: true },
  { name: 'attention values [B,H,T,T]x[B,H,T,hd]', a: [2, 4, 16, 16], b: [2, 4, 16, 8], blas: true },
  { name: 'batched rank-3', a: [8, 16, 8], b: [8, 8, 16], blas: true },
  { name: 'single-matrix left side broadcast', a: [16, 8], b: [5, 8, 12], blas: true },
  { name: 'batch of 1 on the right', a: [3, 2, 7, 5], b: [1, 5, 6], blas: true },
  { name: 'vector-like', a: [1, 33], b: [33, 1], blas: true },
  { name: 'odd sizes', a: [17, 19], b: [19, 23], blas: true },
  { name: 'mixed broadcast (falls back)', a: [2, 1, 3, 4], b: [1, 5, 4, 6], blas: false },
  { name: 'partial batch broadcast (falls back)', a: [1, 4, 6, 8], b: [3, 4, 8, 6], blas: false },
];

function operandShape(shape: number[], transpose: boolean): number[] {
  if (!transpose) return shape;
  const s = [...shape];
  [s[s.length - 2], s[s.length - 1]] = [s[s.length - 1]!, s[s.length - 2]!];
  return s;
}

describe('BatchMatMul on BLAS', () => {
  beforeAll(startAccelerated);
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const c of CASES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`${c.name} ${JSON.stringify(c.a)}x${JSON.stringify(c.b)} tA=${transposeA} tB=${transposeB}`, async () => {
          const a = rand(operandShape(c.a, transposeA), 1);
          const b = rand(operandShape(c.b, transposeB), 2);
          const expected = onOriginalKernels(() => tf.matMul(a, b, transposeA, transposeB));
          const spy = vi.spyOn(addonObject(), 'sgemm');
          const actual = tf.matMul(a, b, transposeA, transposeB);
          expect(spy.mock.calls.length).toBe(c.blas ? 1 : 0);
          await expectNoLeak(() => tf.dispose(tf.matMul(a, b, transposeA, transposeB)));
          expect(actual.shape).toEqual(expected.shape);
          expectClose(await actual.data(), await expected.data(), 1e-5, 1e-5);
          tf.dispose([a, b, expected, actual]);
        });
      }
    }
  }

  it('matches the original kernel on the transformer shapes at full size (1024x128x384, 1024x512x128)', async () => {
    for (const [m, k, n] of [
      [1024, 128, 384],
      [1024, 512, 128],
    ] as const) {
      const a = rand([m, k], 3);
      const b = rand([k, n], 4);
      const expected = onOriginalKernels(() => tf.matMul(a, b));
      const actual = tf.matMul(a, b);
      expectClose(await actual.data(), await expected.data(), 1e-4, 1e-5);
      tf.dispose([a, b, expected, actual]);
    }
  });

  it('gives the same gradients as the original kernel', async () => {
    const a = rand([2, 4, 16, 8], 5);
    const b = rand([2, 4, 16, 8], 6);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true)));
    const [ea, eb] = onOriginalKernels(() => tf.grads(f)([a, b]));
    await expectNoLeak(() => tf.dispose(tf.grads(f)([a, b])));
    const [ga, gb] = tf.grads(f)([a, b]);
    expectClose(await ga!.data(), await ea!.data(), 1e-4, 1e-5);
    expectClose(await gb!.data(), await eb!.data(), 1e-4, 1e-5);
    tf.dispose([a, b, ea!, eb!, ga!, gb!]);
  });

  it('handles empty dimensions: M, N, batch 0 give empty outputs, K 0 gives zeros', async () => {
    const cases: [number[], number[]][] = [
      [
        [0, 4],
        [4, 3],
      ],
      [
        [3, 4],
        [4, 0],
      ],
      [
        [0, 3, 4],
        [0, 4, 5],
      ],
      [
        [3, 0],
        [0, 5],
      ],
      [
        [2, 3, 0],
        [2, 0, 5],
      ],
    ];
    for (const [sa, sb] of cases) {
      const a = tf.zeros(sa);
      const b = tf.zeros(sb);
      const expected = onOriginalKernels(() => tf.matMul(a, b));
      // Fill the heap region the output will likely reuse with garbage first.
      tf.dispose(tf.fill([64], Number.NaN));
      const actual = tf.matMul(a, b);
      expect(actual.shape).toEqual(expected.shape);
      // With K = 0 the product is all zeros; the wasm kernel leaves the output
      // uninitialised there, so compare with the mathematical answer.
      expect(Array.from(await actual.data())).toEqual(new Array(expected.size).fill(0));
      tf.dispose([a, b, expected, actual]);
    }
  });

  it('leaves int32 operands to the original kernel (which rejects them)', () => {
    const a = tf.ones([2, 2], 'int32');
    const b = tf.ones([2, 2], 'int32');
    const spy = vi.spyOn(addonObject(), 'sgemm');
    const original = onOriginalKernels(() => {
      try {
        return String(tf.matMul(a, b));
      } catch (e) {
        return (e as Error).message;
      }
    });
    let ours: string;
    try {
      ours = String(tf.matMul(a, b));
    } catch (e) {
      ours = (e as Error).message;
    }
    expect(ours).toBe(original);
    expect(spy).not.toHaveBeenCalled();
    tf.dispose([a, b]);
  });

  it('rejects mismatched inner dimensions with the original error', () => {
    const a = tf.ones([3, 4]);
    const b = tf.ones([5, 6]);
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });

  it('reads the heap after the output allocation grows it', async () => {
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const a = rand([256, 64], 7);
    const b = rand([64, 1024], 8);
    const expected = onOriginalKernels(() => tf.matMul(a, b));
    const want = await expected.data();
    const kept: tf.Tensor[] = [];
    let grewDuringCall = false;
    // Each product allocates a 1 MiB output; keeping them fills the heap until
    // one allocation has to grow the memory (which replaces its ArrayBuffer).
    for (let i = 0; i < 4096 && !grewDuringCall; i++) {
      const before = backend.wasm.HEAPU8.buffer;
      const c = tf.matMul(a, b);
      grewDuringCall = backend.wasm.HEAPU8.buffer !== before;
      if (grewDuringCall) expectClose(await c.data(), want, 1e-4, 1e-5);
      kept.push(c);
    }
    expect(grewDuringCall).toBe(true);
    tf.dispose([...kept, a, b, expected]);
  });
});
