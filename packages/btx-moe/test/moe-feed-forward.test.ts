import { MLP, tf } from '@lab/core';
import { expect, it } from 'vitest';
import { describeBackends, expectClose, expectNoLeak } from '../../core/test/helpers.js';
import { loadBalancingLoss, MoEFeedForward, type Routing } from '../src/index.js';

const D = 8;
const F = 12;

function input(seed: number, batch = 2, seq = 5): tf.Tensor3D {
  return tf.randomNormal([batch, seq, D], 0, 1, 'float32', seed) as tf.Tensor3D;
}

/** Gradients of a fixed random projection of the output (plus auxLoss) w.r.t. x and every parameter. */
function gradsOf(moe: MoEFeedForward, x: tf.Tensor3D, dispatch: 'dense' | 'sparse') {
  const probe = tf.randomNormal(x.shape, 0, 1, 'float32', 99);
  const params = moe.namedParameters();
  const f = (xIn: tf.Tensor, ...ws: tf.Tensor[]) => {
    void ws;
    const { output, auxLoss } = moe.forward(xIn as tf.Tensor3D, { dispatch });
    const main = tf.sum(tf.mul(output, probe));
    return (auxLoss ? tf.add(main, auxLoss) : main) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(
    () => f(x),
    params.map(([, v]) => v),
  );
  const dx = tf.grad((xi: tf.Tensor) => f(xi))(x);
  const out = {
    value: value.dataSync()[0]!,
    dx: dx.dataSync(),
    grads: Object.fromEntries(params.map(([n, v]) => [n, grads[v.name]!.dataSync()])),
  };
  tf.dispose([probe, value, dx, grads]);
  return out;
}

describeBackends('MoEFeedForward', () => {
  const cases: [Routing, number | undefined, 'gelu' | 'swiglu'][] = [
    ['top2', undefined, 'gelu'],
    ['topk', 3, 'swiglu'],
    ['switch', undefined, 'gelu'],
    ['soft', undefined, 'swiglu'],
  ];
  for (const [routing, topK, activation] of cases) {
    it(`sparse and dense dispatch agree in values and gradients (${routing}, ${activation})`, () => {
      const moe = new MoEFeedForward({
        dModel: D,
        dFF: F,
        numExperts: 5,
        routing,
        topK,
        activation,
        tileSize: 3,
        seed: 7,
      });
      // Non-zero biases so that their paths are checked too.
      moe.b1!.assign(tf.randomNormal(moe.b1!.shape, 0, 0.1, 'float32', 3));
      moe.b2!.assign(tf.randomNormal(moe.b2!.shape, 0, 0.1, 'float32', 4));
      const x = input(1);
      const dense = moe.forward(x, { dispatch: 'dense' });
      const sparse = moe.forward(x, { dispatch: 'sparse' });
      expectClose(sparse.output.dataSync(), dense.output.dataSync(), 1e-5);
      expectClose(sparse.auxLoss!.dataSync(), dense.auxLoss!.dataSync(), 1e-7);
      tf.dispose([dense.output, dense.auxLoss, sparse.output, sparse.auxLoss]);
      const gd = gradsOf(moe, x, 'dense');
      const gs = gradsOf(moe, x, 'sparse');
      expectClose(gs.dx, gd.dx, 1e-5);
      for (const name of Object.keys(gd.grads)) expectClose(gs.grads[name]!, gd.grads[name]!, 1e-5);
      // The router learns from the task loss too (not only through the balancing term).
      expect(Math.max(...Array.from(gd.grads['router.weight']!, Math.abs))).toBeGreaterThan(1e-4);
      x.dispose();
      moe.dispose();
    });
  }

  it('N identical experts reproduce the dense MLP (any router, gates summing to 1)', () => {
    const mlp = new MLP({ dModel: D, dFF: F, activation: 'swiglu', seed: 3 });
    mlp.fc.bias!.assign(tf.randomNormal([2 * F], 0, 0.1, 'float32', 5));
    mlp.proj.bias!.assign(tf.randomNormal([D], 0, 0.1, 'float32', 6));
    const x = input(2);
    const want = mlp.forward(x).output;
    for (const routing of ['top2', 'soft', 'topk'] as const) {
      for (const dispatch of ['dense', 'sparse'] as const) {
        const moe = new MoEFeedForward({
          dModel: D,
          dFF: F,
          numExperts: 3,
          routing,
          topK: 3,
          activation: 'swiglu',
          seed: 11,
        });
        moe.w1.assign(tf.stack([mlp.fc.weight, mlp.fc.weight, mlp.fc.weight]));
        moe.b1!.assign(tf.stack([mlp.fc.bias!, mlp.fc.bias!, mlp.fc.bias!]));
        moe.w2.assign(tf.stack([mlp.proj.weight, mlp.proj.weight, mlp.proj.weight]));
        moe.b2!.assign(tf.stack([mlp.proj.bias!, mlp.proj.bias!, mlp.proj.bias!]));
        const got = moe.forward(x, { dispatch });
        expectClose(got.output.dataSync(), want.dataSync(), 2e-6, 1e-5);
        tf.dispose([got.output, got.auxLoss]);
        moe.dispose();
      }
    }
    tf.dispose([x, want]);
    mlp.dispose();
  });

  it('top-k picks exactly k experts per token even when every logit ties (zero router)', () => {
    const moe = new MoEFeedForward({ dModel: D, dFF: F, numExperts: 4, routerInit: 'zeros' });
    const x = input(3);
    const out = moe.forward(x);
    const stats = moe.routingStats()!;
    expect(stats.tokens).toBe(10);
    expect(stats.slotsPerExpert.reduce((a, b) => a + b, 0)).toBe(20);
    expect(Math.max(...stats.slotsPerExpert)).toBeLessThanOrEqual(10);
    // Zero router: p uniform; u piles on two experts: E·Σ u·p = 1, the loss is α.
    expectClose(out.auxLoss!.dataSync(), [0.01], 1e-8);
    tf.dispose([x, out.output, out.auxLoss]);
    moe.dispose();
  });

  it('the balancing loss has its gradient reach the router, matching finite differences', () => {
    const moe = new MoEFeedForward({ dModel: D, dFF: F, numExperts: 4, lbAlpha: 1, seed: 5 });
    const x = input(4, 4, 8);
    const aux = () => moe.forward(x).auxLoss!;
    const { grads } = tf.variableGrads(aux, [moe.router.weight]);
    const g = grads[moe.router.weight.name]!.dataSync();
    expect(Math.max(...Array.from(g, Math.abs))).toBeGreaterThan(1e-3);
    // Central differences on a few entries (u is piecewise constant; eps small enough not to flip a choice).
    const w0 = moe.router.weight.clone();
    const base = moe.routingStats()!.slotsPerExpert;
    const eps = 5e-4;
    let checked = 0;
    for (const i of [0, 5, 13, 30, 17, 22]) {
      let flipped = false;
      const at = (delta: number) => {
        const w = w0.dataSync().slice();
        w[i]! += delta;
        moe.router.weight.assign(tf.tensor(w, w0.shape));
        const v = aux();
        const r = v.dataSync()[0]!;
        v.dispose();
        if (moe.routingStats()!.slotsPerExpert.some((n, j) => n !== base[j])) flipped = true;
        return r;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      if (flipped) continue; // u jumps where a choice flips: not differentiable there
      checked++;
      expect(Math.abs(numeric - g[i]!)).toBeLessThan(2e-3 + 0.05 * Math.abs(g[i]!));
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    tf.dispose([w0, grads, x]);
    moe.dispose();
  });

  it('sampleTop1 samples in training and is the argmax (switch) at evaluation', () => {
    const opts = { dModel: D, dFF: F, numExperts: 4, seed: 9 } as const;
    const sample = new MoEFeedForward({ ...opts, routing: 'sampleTop1' });
    const sw = new MoEFeedForward({ ...opts, routing: 'switch' });
    const x = input(5, 4, 16);
    sample.eval();
    sw.eval();
    const a = sample.forward(x);
    const b = sw.forward(x);
    expectClose(a.output.dataSync(), b.output.dataSync(), 1e-7);
    sample.train();
    const s1 = sample.forward(x);
    const first = sample.routingStats()!.slotsPerExpert;
    const s2 = sample.forward(x);
    const second = sample.routingStats()!.slotsPerExpert;
    expect(first).not.toEqual(second); // fresh noise each call
    tf.dispose([a.output, a.auxLoss, b.output, b.auxLoss, s1.output, s1.auxLoss, s2.output, s2.auxLoss, x]);
    sample.dispose();
    sw.dispose();
  });

  it('a training step leaks no tensor (dense and sparse)', async () => {
    for (const dispatch of ['dense', 'sparse'] as const) {
      const moe = new MoEFeedForward({ dModel: D, dFF: F, numExperts: 6, dispatch, seed: 1 });
      const x = input(6);
      const step = () => {
        const { value, grads } = tf.variableGrads(() => {
          const o = moe.forward(x);
          return tf.add(tf.mean(tf.square(o.output)), o.auxLoss!) as tf.Scalar;
        });
        tf.dispose([value, grads]);
      };
      step(); // the first pass creates the kept routing-stats tensor
      await expectNoLeak(() => {
        for (let i = 0; i < 3; i++) step();
      });
      x.dispose();
      moe.dispose();
    }
  });
});

it('loadBalancingLoss: minimum α at uniform routing, larger when u = p is not uniform', () => {
  const uni = loadBalancingLoss(tf.fill([4], 0.25) as tf.Tensor1D, tf.fill([4], 0.25) as tf.Tensor1D, 0.01);
  expect(uni.dataSync()[0]).toBeCloseTo(0.01, 8);
  for (let s = 0; s < 20; s++) {
    const p = tf.softmax(tf.randomNormal([4], 0, 1.5, 'float32', s)) as tf.Tensor1D;
    const l = loadBalancingLoss(p, p, 0.01);
    expect(l.dataSync()[0]!).toBeGreaterThanOrEqual(0.01 - 1e-9);
    tf.dispose([p, l]);
  }
  uni.dispose();
});
