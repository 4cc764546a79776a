/**
 * The plain-wasm replacement kernels (sliced BatchMatMul, row GatherV2,
 * leading-axes Sum, aliasing Identity) against the cpu backend's kernels on
 * random inputs, forward and through gradients.
 */
import { describe, expect, it } from 'vitest';
import { AdamW, gelu, initBackend, LayerNorm, tf } from '../../src/index.js';
import { plainWasmKernelsActive } from '../../src/kernels/register.js';
import { expectClose } from '../helpers.js';
import { randomArray } from '../nn/grad-check.js';

async function both<T extends number[][]>(fn: () => T): Promise<[T, T]> {
  await initBackend({ prefer: 'wasm', native: false });
  expect(plainWasmKernelsActive()).toEqual([
    'BatchMatMul',
    'GatherV2',
    'Sum',
    'Identity',
    'Transpose',
    'SplitV',
    'Cast',
    'Cumsum',
    'Minimum',
    'Maximum',
    'Less',
    'LessEqual',
    'Greater',
    'GreaterEqual',
  ]);
  expect(tf.getKernel('LabFusedLayerNorm', 'wasm')).toBeTruthy();
  expect(tf.getKernel('LabFusedGelu', 'wasm')).toBeTruthy();
  const w = tf.tidy(fn);
  await initBackend({ prefer: 'cpu' });
  const c = tf.tidy(fn);
  return [w, c];
}

const data = (t: tf.Tensor) => Array.from(t.dataSync());

describe('plain-wasm kernels vs cpu', () => {
  it('BatchMatMul: batched, rank 4, every transpose flag, broadcast fallback; and its gradients', async () => {
    const [w, c] = await both(() => {
      const out: number[][] = [];
      let seed = 1;
      for (const [outer, m, k, n] of [
        [[3], 4, 5, 6],
        [[2, 3], 7, 2, 3],
        [[5], 1, 4, 1],
        // Full 4x8 register blocks plus ragged rows and columns.
        [[2], 13, 17, 21],
        [[1], 9, 33, 16],
        // Columns past one 128-wide panel of b (n > 256, n % 8 != 0).
        [[1], 9, 20, 300],
      ] as [number[], number, number, number][]) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const a = tf.tensor(randomArray(outer.reduce((x, y) => x * y) * m * k, seed++), [
              ...outer,
              ...(ta ? [k, m] : [m, k]),
            ]);
            const b = tf.tensor(randomArray(outer.reduce((x, y) => x * y) * k * n, seed++), [
              ...outer,
              ...(tb ? [n, k] : [k, n]),
            ]);
            out.push(data(tf.matMul(a, b, ta, tb)));
            const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
              tf.sum(tf.square(tf.matMul(x, y, ta, tb))),
            )([a, b]);
            out.push(data(ga!), data(gb!));
          }
        }
      }
      // Rank 2, every flag (the weight matmuls of every Linear and their gradients).
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = tf.tensor2d(randomArray(37 * 29, seed++), ta ? [29, 37] : [37, 29]);
          const b = tf.tensor2d(randomArray(29 * 41, seed++), tb ? [41, 29] : [29, 41]);
          out.push(data(tf.matMul(a, b, ta, tb)));
        }
      }
      // A long k with a transposed a (transposed before the product rather than read strided).
      const along = tf.tensor3d(randomArray(2 * 300 * 9, seed++), [2, 300, 9]);
      const blong = tf.tensor3d(randomArray(2 * 300 * 10, seed++), [2, 300, 10]);
      out.push(data(tf.matMul(along, blong, true, false)));
      // Broadcast batch (falls back to the original kernel).
      const a = tf.tensor3d(randomArray(2 * 3 * 4, 99), [2, 3, 4]);
      const b = tf.tensor3d(randomArray(4 * 5, 98), [1, 4, 5]);
      out.push(data(tf.matMul(a, b)));
      return out;
    });
    expect(w.length).toBe(78);
    for (let i = 0; i < w.length; i++) expectClose(w[i]!, c[i]!, 1e-5, 1e-4);
  });

  it('GatherV2: axis 0 rows (float32, int32, rank 3, repeated ids); other axes fall back; bad index throws', async () => {
    const [w, c] = await both(() => {
      const x = tf.tensor3d(randomArray(6 * 2 * 3, 5), [6, 2, 3]);
      const xi = tf.tensor2d(
        Array.from({ length: 12 }, (_, i) => i * 7),
        [6, 2],
        'int32',
      );
      const ids = tf.tensor2d([5, 0, 5, 2, 1, 1], [2, 3], 'int32');
      return [
        data(tf.gather(x, ids)),
        data(tf.gather(xi, tf.tensor1d([3, 3, 0], 'int32'))),
        data(tf.gather(x, tf.tensor1d([1, 0, 1], 'int32'), 2)),
        // Single values (CoPE's flat gathers) and rows wider than one vector.
        data(tf.gather(tf.reshape(x, [36]), tf.tensor1d([35, 0, 7, 7, 19], 'int32'))),
        data(tf.gather(tf.reshape(x, [2, 18]), tf.tensor1d([1, 0, 1], 'int32'))),
        data(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), 3)))(x)),
      ];
    });
    for (let i = 0; i < w.length; i++) expectClose(w[i]!, c[i]!, 1e-6);
    await initBackend({ prefer: 'wasm', native: false });
    expect(() => tf.tidy(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([3], 'int32')))).toThrow(/index 3/);
  });

  it('Sum: leading axes (keepDims or not); other reductions fall back', async () => {
    const [w, c] = await both(() => {
      const x = tf.tensor3d(randomArray(4 * 5 * 6, 7), [4, 5, 6]);
      return [
        data(tf.sum(x, 0)),
        data(tf.sum(x, [0, 1])),
        data(tf.sum(x, [1, 0], true)),
        data(tf.sum(x, -1)),
        data(tf.sum(x, [0, 2])),
        data(tf.sum(x)),
      ];
    });
    for (let i = 0; i < w.length; i++) expectClose(w[i]!, c[i]!, 1e-5);
  });

  it('fused layer norm (JS) matches the cpu composite, forward and gradients', async () => {
    const [w, c] = await both(() => {
      const out: number[][] = [];
      for (const withBias of [true, false]) {
        const ln = new LayerNorm({ dim: 6, bias: withBias });
        ln.weight.assign(tf.tensor1d(randomArray(6, 3)));
        if (ln.bias) ln.bias.assign(tf.tensor1d(randomArray(6, 4)));
        const x = tf.tensor3d(
          randomArray(2 * 3 * 6, 5).map((v) => 3 * v + 1),
          [2, 3, 6],
        );
        const dy = tf.tensor3d(randomArray(2 * 3 * 6, 6), [2, 3, 6]);
        out.push(data(ln.forward(x)));
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(ln.forward(x), dy)), ln.parameters());
        out.push([value.dataSync()[0]!], ...ln.parameters().map((p) => data(grads[p.name]!)));
        out.push(data(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ln.forward(t), dy)))(x)));
        ln.dispose();
      }
      return out;
    });
    expect(w.length).toBe(c.length);
    for (let i = 0; i < w.length; i++) expectClose(w[i]!, c[i]!, 1e-5, 1e-4);
  });

  it('Transpose (last two axes, no-op, other perms) and SplitV (any axis, sizes with -1) match cpu', async () => {
    const [w, c] = await both(() => {
      const x = tf.tensor3d(randomArray(3 * 37 * 45, 11), [3, 37, 45]);
      const xi = tf.tensor2d(
        Array.from({ length: 70 }, (_, i) => i),
        [7, 10],
        'int32',
      );
      const out = [
        data(tf.transpose(x, [0, 2, 1])),
        data(tf.transpose(tf.reshape(x, [111, 45]))),
        data(tf.transpose(xi)),
        data(tf.transpose(x, [0, 1, 2])),
        data(tf.transpose(x, [2, 0, 1])),
        data(tf.transpose(tf.reshape(x, [3, 37, 5, 9]), [0, 2, 1, 3])),
        data(tf.transpose(tf.reshape(xi, [1, 7, 2, 5]), [0, 2, 1, 3])),
        ...tf.split(x, 3, 0).map(data),
        ...tf.split(x, [10, -1, 5], 2).map(data),
        ...tf.split(xi, [3, 7], 1).map(data),
      ];
      const g = tf.grad((t: tf.Tensor) => {
        const [p, q] = tf.split(t, [20, 25], 2);
        return tf.sum(
          tf.mul(tf.transpose(p!, [0, 2, 1]), tf.transpose(q!.slice([0, 0, 0], [3, 37, 20]), [0, 2, 1])),
        );
      })(x);
      out.push(data(g));
      return out;
    });
    expect(w.length).toBe(c.length);
    for (let i = 0; i < w.length; i++) expectClose(w[i]!, c[i]!, 1e-5);
  });

  it('fused GELU (SIMD) matches the cpu composite over a wide range, forward and gradient', async () => {
    const xs = [
      ...randomArray(4 * 250 + 3, 31).map((v) => 8 * v),
      -1e4,
      -300,
      -90,
      -9.5,
      -0,
      0,
      1e-30,
      9.5,
      90,
      300,
      1e4,
    ];
    const [w, c] = await both(() => {
      const x = tf.tensor1d(xs);
      const dy = tf.tensor1d(randomArray(xs.length, 32));
      return [data(gelu(x)), data(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dy)))(x))];
    });
    expectClose(w[0]!, c[0]!, 1e-5, 1e-5);
    expectClose(w[1]!, c[1]!, 1e-5, 1e-4);
    await initBackend({ prefer: 'wasm', native: false });
    const nan = tf.tidy(() => Array.from(gelu(tf.tensor1d([Number.NaN, 1, 2, 3, Number.NaN])).dataSync()));
    expect(Number.isNaN(nan[0]!) && Number.isNaN(nan[4]!)).toBe(true);
  });

  it('AdamW runs as one SIMD pass (no kernels) and matches the cpu composite; the matmul sees the new weights', async () => {
    const run = async () => {
      const w = tf.variable(tf.tensor2d(randomArray(12, 21), [3, 4]), true, 'w');
      const b = tf.variable(tf.tensor1d(randomArray(5, 22)), true, 'b');
      const unused = tf.variable(tf.tensor1d(randomArray(7, 24)), true, 'unused');
      const x = tf.tensor2d(randomArray(30, 23), [10, 3]);
      const opt = new AdamW(
        [
          ['w', w],
          ['b', b],
          ['unused', unused],
        ],
        { lr: 0.05, weightDecay: 0.1, noDecayBelowRank: 0 },
      );
      const out: number[][] = [];
      let kernels = -1;
      for (let step = 0; step < 4; step++) {
        const { value, grads } = tf.variableGrads(() =>
          tf.sum(tf.square(tf.add(tf.matMul(x, w), tf.sum(b.slice(0, 4))))),
        );
        out.push([value.dataSync()[0]!]);
        const before = tf.memory().numTensors;
        const list = [grads.w, grads.b, null];
        const profile = await tf.profile(() => opt.applyGradients(list, { gradScale: step === 2 ? 0.5 : 1 }));
        if (step === 2) kernels = profile.kernels.length;
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([value, grads]);
      }
      out.push(data(w), data(b), data(unused));
      opt.dispose();
      tf.dispose([w, b, unused, x]);
      return { out, kernels };
    };
    await initBackend({ prefer: 'wasm', native: false });
    const wasm = await run();
    await initBackend({ prefer: 'cpu' });
    const cpu = await run();
    // The composite runs over a dozen kernels per step; the SIMD pass none.
    expect(wasm.kernels).toBe(0);
    expect(cpu.kernels).toBeGreaterThan(10);
    // The loss falls through matmuls of the updated weights (a stale XNNPACK weight cache would freeze it).
    expect(wasm.out[3]![0]!).toBeLessThan(wasm.out[0]![0]!);
    for (let i = 0; i < wasm.out.length; i++) expectClose(wasm.out[i]!, cpu.out[i]!, 1e-5, 1e-4);
  });

  it('Cumsum on the last axis (every flag) matches cpu; other axes fall back', async () => {
    const [w, c] = await both(() => {
      const x = tf.tensor3d(randomArray(3 * 5 * 7, 41), [3, 5, 7]);
      const out: number[][] = [];
      for (const exclusive of [false, true]) {
        for (const reverse of [false, true]) {
          out.push(data(tf.cumsum(x, 2, exclusive, reverse)));
        }
      }
      out.push(data(tf.cumsum(x, 1, false, true)));
      out.push(data(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(t, 2, false, true), t)))(x)));
      return out;
    });
    for (let i = 0; i < w.length; i++) expectClose(w[i]!, c[i]!, 1e-5);
    // Axis -1 on wasm (tfjs's cpu kernel returns an empty tensor for a negative axis).
    await initBackend({ prefer: 'wasm', native: false });
    const [neg, pos] = tf.tidy(() => {
      const x = tf.tensor3d(randomArray(3 * 5 * 7, 41), [3, 5, 7]);
      return [data(tf.cumsum(x, -1, true, true)), data(tf.cumsum(x, 2, true, true))];
    });
    expect(neg).toEqual(pos);
  });

  it('Minimum, Maximum and comparisons (same shape, a single value on either side, NaN; other broadcasts fall back) match cpu', async () => {
    const [w, c] = await both(() => {
      const vals = randomArray(4 * 9, 51).map((v, i) => (i % 7 === 3 ? 0.25 : v));
      vals[5] = Number.NaN;
      const x = tf.tensor2d(vals, [4, 9]);
      const y = tf.tensor2d(randomArray(4 * 9, 52), [4, 9]);
      const s = tf.scalar(0.25);
      const col = tf.tensor2d(randomArray(4, 53), [4, 1]);
      const out: number[][] = [];
      for (const [p, q] of [
        [x, y],
        [x, s],
        [s, x],
        [x, col],
      ] as [tf.Tensor, tf.Tensor][]) {
        out.push(data(tf.minimum(p, q)), data(tf.maximum(p, q)));
        for (const cmp of [tf.less, tf.lessEqual, tf.greater, tf.greaterEqual]) out.push(data(cmp(p, q)));
      }
      const g = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.add(tf.minimum(p, 0.1), tf.maximum(p, q))),
      );
      out.push(...g([y, tf.tensor2d(randomArray(4 * 9, 54), [4, 9])]).map(data));
      return out;
    });
    expect(w.length).toBe(c.length);
    for (let i = 0; i < w.length; i++) {
      expect(w[i]!.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(
        c[i]!.map((v) => (Number.isNaN(v) ? 'NaN' : v)),
      );
    }
  });

  it('same-dtype Cast aliases; real casts convert', async () => {
    const [w, c] = await both(() => {
      const x = tf.tensor1d([1.5, -2.25, 3]);
      return [
        data(tf.cast(x, 'float32')),
        data(tf.cast(x, 'int32')),
        data(tf.cast(tf.cast(x, 'int32'), 'float32')),
        data(tf.cast(tf.tensor1d([0.5, -0.5, 2.9999, -7.99, 1e6 + 0.5, 16777216, 3, -2, 9.75]), 'int32')),
      ];
    });
    expect(w).toEqual(c);
  });

  it('Identity aliases without breaking tensor lifetimes', async () => {
    await initBackend({ prefer: 'wasm', native: false });
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    const v = tf.variable(y);
    y.dispose();
    const next = tf.tidy(() => tf.add<tf.Tensor1D>(v, 1));
    v.assign(next);
    next.dispose();
    expect(Array.from(v.dataSync())).toEqual([2, 3, 4]);
    v.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
