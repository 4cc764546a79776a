import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { AdamW, constantSchedule } from '../../src/index.js';
import { seededRandom } from '../generate/random.js';
import { describeBackends, expectClose, expectNoLeak } from '../helpers.js';

/** Plain JavaScript AdamW (PyTorch's formulation), float64. */
function referenceAdamW(
  params: Float64Array[],
  gradsPerStep: Float64Array[][],
  o: { lr: (s: number) => number; beta1: number; beta2: number; eps: number; wd: number; decayed: boolean[] },
): Float64Array[] {
  const p = params.map((x) => Float64Array.from(x));
  const m = params.map((x) => new Float64Array(x.length));
  const v = params.map((x) => new Float64Array(x.length));
  gradsPerStep.forEach((grads, s) => {
    const t = s + 1;
    const lr = o.lr(s);
    p.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        const g = grads[i]![j]!;
        if (o.decayed[i]) w[j] = w[j]! * (1 - lr * o.wd);
        m[i]![j] = o.beta1 * m[i]![j]! + (1 - o.beta1) * g;
        v[i]![j] = o.beta2 * v[i]![j]! + (1 - o.beta2) * g * g;
        const mh = m[i]![j]! / (1 - o.beta1 ** t);
        const vh = v[i]![j]! / (1 - o.beta2 ** t);
        w[j] = w[j]! - (lr * mh) / (Math.sqrt(vh) + o.eps);
      }
    });
  });
  return p;
}

function randomArray(rand: () => number, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

describeBackends('AdamW', () => {
  it('matches a plain JavaScript AdamW over several steps on random problems', async () => {
    for (const seed of [1, 2, 3]) {
      const rand = seededRandom(seed);
      const shapes = [[3, 4], [4], [2, 3, 2], [1]];
      const init = shapes.map((s) =>
        randomArray(
          rand,
          s.reduce((a, b) => a * b, 1),
        ),
      );
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(Float32Array.from(init[i]!), s)));
      const names = ['w', 'blocks.0.norm.bias', 'w3', 'scale'];
      const sched = (s: number) => 0.01 * (1 + 0.3 * Math.sin(s));
      const opt = new AdamW(
        names.map((n, i) => [n, vars[i]!] as const),
        { lr: sched, weightDecay: 0.1, noDecayNames: [/^w3$/], beta1: 0.85, beta2: 0.99, epsilon: 1e-6 },
      );
      expect(opt.decayedNames()).toEqual(['w']);
      const steps = 6;
      const gradsPerStep = Array.from({ length: steps }, () =>
        init.map((x) => randomArray(rand, x.length, 2)),
      );
      const before = tf.memory().numTensors;
      for (const grads of gradsPerStep) {
        const gt = grads.map((g, i) => tf.tensor(Float32Array.from(g), shapes[i]));
        opt.applyGradients(gt);
        tf.dispose(gt);
        expect(tf.memory().numTensors).toBe(before);
      }
      const expected = referenceAdamW(init, gradsPerStep, {
        lr: sched,
        beta1: 0.85,
        beta2: 0.99,
        eps: 1e-6,
        wd: 0.1,
        decayed: [true, false, false, false],
      });
      vars.forEach((v, i) => {
        expectClose(v.dataSync(), expected[i]!, 1e-5, 1e-5);
      });
      expect(opt.step).toBe(steps);
      opt.dispose();
      tf.dispose(vars);
    }
  });

  it('accepts tf.variableGrads output and unnamed variables (rank rule decides decay)', async () => {
    const a = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const b = tf.variable(tf.tensor1d([0.5, -0.5]));
    const opt = new AdamW([a, b], { lr: 0.1, weightDecay: 0.5 });
    expect(opt.decayedNames()).toEqual(['0']);
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.add(tf.square(a), tf.sum(b))) as tf.Scalar,
        [a, b],
      );
      opt.applyGradients(grads);
      tf.dispose([value, grads]);
    });
    // First Adam step moves each weight by lr * sign(g) (m_hat / sqrt(v_hat) = sign), after decay.
    expectClose(a.dataSync(), [1 * 0.95 - 0.1, 2 * 0.95 - 0.1, 3 * 0.95 - 0.1, 4 * 0.95 - 0.1], 1e-5);
    expectClose(b.dataSync(), [0.5 - 0.1, -0.5 - 0.1], 1e-5);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it('state dict round trip resumes identically', () => {
    const rand = seededRandom(9);
    const mk = () => [tf.variable(tf.tensor2d(Float32Array.from(randomArray(rand, 6)), [2, 3]))];
    const grads = Array.from({ length: 4 }, () =>
      tf.tensor2d(Float32Array.from(randomArray(rand, 6)), [2, 3]),
    );
    const x = mk();
    const y = [tf.variable(x[0]!.clone())];
    const o1 = new AdamW(x, { lr: constantSchedule(0.05, 2) });
    const o2 = new AdamW(y, { lr: constantSchedule(0.05, 2) });
    o1.applyGradients([grads[0]!]);
    o1.applyGradients([grads[1]!]);
    o2.applyGradients([grads[0]!]);
    o2.applyGradients([grads[1]!]);
    const state = o1.stateDict();
    expect(Object.keys(state).sort()).toEqual(['exp_avg.0', 'exp_avg_sq.0', 'step']);
    const o3 = new AdamW(y, { lr: constantSchedule(0.05, 2) });
    o3.loadStateDict(state);
    tf.dispose(state);
    expect(o3.step).toBe(2);
    o1.applyGradients([grads[2]!]);
    o1.applyGradients([grads[3]!]);
    o3.applyGradients([grads[2]!]);
    o3.applyGradients([grads[3]!]);
    expectClose(y[0]!.dataSync(), x[0]!.dataSync(), 1e-7, 0);
    for (const o of [o1, o2, o3]) o.dispose();
    tf.dispose([...x, ...y, ...grads]);
  });

  it('rejects a mis-shaped gradient and a non-float parameter with codes', () => {
    const a = tf.variable(tf.zeros([2, 2]));
    const opt = new AdamW([a]);
    const g = tf.zeros([3]);
    expect(() => opt.applyGradients([g])).toThrow(
      expect.objectContaining({ code: 'OPTIMIZER_GRADIENT_SHAPE' }),
    );
    const i = tf.variable(tf.zeros([2], 'int32'));
    expect(() => new AdamW([i])).toThrow(expect.objectContaining({ code: 'OPTIMIZER_DTYPE' }));
    opt.dispose();
    tf.dispose([a, g, i]);
  });
});
