import { type AttentionScoresContext, LabError, tf } from '@lab/core';
import { describe, expect, it } from 'vitest';
import { describeBackends, expectClose, expectNoLeak } from '../../core/test/helpers.js';
import { CoPE } from '../src/index.js';

const [B, H, T, DH, NPOS] = [2, 2, 5, 4, 7];

function causal(tq: number, tk: number): tf.Tensor4D {
  const m = new Float32Array(tq * tk);
  const offset = tk - tq;
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) m[i * tk + j] = j <= i + offset ? 1 : 0;
  return tf.tensor4d(m, [1, 1, tq, tk]);
}

/** What attention hands over: scaled scores from q and k. */
function context(q: tf.Tensor4D, k: tf.Tensor4D, v?: tf.Tensor4D): AttentionScoresContext {
  const tq = q.shape[2];
  const tk = k.shape[2];
  const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(q.shape[3])) as tf.Tensor4D;
  return { q, k, ...(v ? { v } : {}), scores, allowed: causal(tq, tk), queryOffset: tk - tq };
}

function randomCope(config: Partial<ConstructorParameters<typeof CoPE>[0]> = {}, seed = 5): CoPE {
  const cope = new CoPE({ headDim: DH, numHeads: H, npos: NPOS, ...config });
  cope.table.assign(tf.randomNormal(cope.table.shape, 0, 1, 'float32', seed));
  return cope;
}

const results: Record<string, Float32Array[]> = {};

describeBackends('CoPE layer', (backend) => {
  it('a zero table (its initial value) reproduces the plain scores', () => {
    const cope = new CoPE({ headDim: DH, numHeads: H, npos: NPOS });
    const q = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ctx = context(q, k);
    expectClose(cope.adjustScores(ctx).dataSync(), ctx.scores.dataSync(), 1e-6);
    expect(cope.kind).toBe('cope');
  });

  it('adds bias/√d_h by default and the raw bias with nodiv', () => {
    const q = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ctx = context(q, k);
    const div = tf.sub(randomCope().adjustScores(ctx), ctx.scores);
    const nodiv = tf.sub(randomCope({ nodiv: true }).adjustScores(ctx), ctx.scores);
    expectClose(tf.mul(div, Math.sqrt(DH)).dataSync(), nodiv.dataSync());
  });

  it('gradients match central finite differences (q, k through the gates, and the table)', () => {
    const cope = randomCope();
    const q = tf.randomNormal([1, H, 4, DH], 0, 1, 'float32', 3) as tf.Tensor4D;
    const k = tf.randomNormal([1, H, 4, DH], 0, 1, 'float32', 4) as tf.Tensor4D;
    const weights = tf.randomNormal([1, H, 4, 4], 0, 1, 'float32', 6);
    const allowed = causal(4, 4);
    const loss = (qq: tf.Tensor, kk: tf.Tensor) =>
      tf.sum(
        tf.mul(tf.mul(cope.adjustScores(context(qq as tf.Tensor4D, kk as tf.Tensor4D)), allowed), weights),
      );
    const [gq, gk] = tf
      .grads(loss)([q, k])
      .map((g) => g.dataSync());
    const gt = Object.values(
      tf.variableGrads(() => loss(q, k) as tf.Scalar, [cope.table]).grads,
    )[0]!.dataSync();
    const eps = 1e-2;
    const numeric = (x: tf.Tensor, at: number, f: (t: tf.Tensor) => number) => {
      const data = x.dataSync().slice();
      data[at] = data[at]! + eps;
      const plus = f(tf.tensor(data, x.shape));
      data[at] = data[at]! - 2 * eps;
      const minus = f(tf.tensor(data, x.shape));
      return (plus - minus) / (2 * eps);
    };
    for (const at of [0, 5, 13, 22, 31]) {
      expect(gq![at]).toBeCloseTo(
        numeric(q, at, (t) => loss(t, k).dataSync()[0]!),
        2,
      );
      expect(gk![at]).toBeCloseTo(
        numeric(k, at, (t) => loss(q, t).dataSync()[0]!),
        2,
      );
    }
    const saved = cope.table.clone();
    for (const at of [0, 9, 20, 27]) {
      const fd = numeric(saved, at, (t) => {
        cope.table.assign(t);
        return loss(q, k).dataSync()[0]!;
      });
      expect(gt[at]).toBeCloseTo(fd, 2);
    }
    cope.table.assign(saved);
  });

  it('sends no gradient to future keys (gates are masked before the cumsum)', () => {
    const cope = randomCope();
    const q = tf.randomNormal([1, H, T, DH], 0, 1, 'float32', 3) as tf.Tensor4D;
    const k = tf.randomNormal([1, H, T, DH], 0, 1, 'float32', 4) as tf.Tensor4D;
    const row = 1;
    const pick = tf.oneHot(tf.tensor1d([row], 'int32'), T).reshape([1, 1, T, 1]);
    // Loss over query row 1's visible scores only.
    const gk = tf
      .grad((kk: tf.Tensor) =>
        tf.sum(tf.mul(tf.mul(cope.adjustScores(context(q, kk as tf.Tensor4D)), causal(T, T)), pick)),
      )(k)
      .arraySync() as number[][][][];
    for (let h = 0; h < H; h++) {
      for (let j = 0; j < T; j++) {
        const norm = Math.max(...gk[0]![h]![j]!.map(Math.abs));
        if (j <= row) expect(norm).toBeGreaterThan(1e-4);
        else expect(norm).toBe(0);
      }
    }
  });

  it('new queries over cached keys give the same rows as the full sequence (KV cache)', () => {
    const cope = randomCope();
    const q = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 7) as tf.Tensor4D;
    const k = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 8) as tf.Tensor4D;
    const full = cope.adjustScores(context(q, k));
    for (const start of [T - 1, 2]) {
      const qNew = tf.slice(q, [0, 0, start, 0], [B, H, T - start, DH]) as tf.Tensor4D;
      const cached = cope.adjustScores(context(qNew, k));
      const expected = tf.mul(tf.slice(full, [0, 0, start, 0], [B, H, T - start, T]), causal(T - start, T));
      expectClose(tf.mul(cached, causal(T - start, T)).dataSync(), expected.dataSync());
    }
  });

  it('records positions that count the keys whose gates fire', () => {
    // Gate logit q·k/√2 = ±20: keys 1 and 3 fire, the rest do not.
    const cope = new CoPE({ headDim: 2, numHeads: 1, npos: 8, recordPositions: true });
    const chosen = [1, 3];
    const q = tf.tensor4d(Array.from({ length: T }, () => [20 * Math.SQRT2, 0]).flat(), [1, 1, T, 2]);
    const k = tf.tensor4d(Array.from({ length: T }, (_, j) => [chosen.includes(j) ? 1 : -1, 0]).flat(), [
      1,
      1,
      T,
      2,
    ]);
    cope.adjustScores(context(q, k));
    const p = cope.lastPositions!.arraySync()[0]![0]!;
    for (let i = 0; i < T; i++) {
      for (let j = 0; j <= i; j++) {
        expect(p[i]![j]).toBeCloseTo(chosen.filter((c) => c >= j && c <= i).length, 5);
      }
    }
    cope.dispose();
    expect(cope.lastPositions).toBeNull();
  });

  it('separate gate key starts as the key gates; value gates use v and demand it', () => {
    const q = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ctx = context(q, k);
    const sep = randomCope({ gate: { kind: 'separateKey' } });
    expect(sep.parameters()).toHaveLength(2);
    expectClose(sep.adjustScores(ctx).dataSync(), randomCope().adjustScores(ctx).dataSync());
    const valueGated = randomCope({ gate: { kind: 'value' } });
    expect(() => valueGated.adjustScores(ctx)).toThrow(LabError);
    // With v = k, value gates equal key gates.
    expectClose(
      valueGated.adjustScores(context(q, k, k)).dataSync(),
      randomCope().adjustScores(ctx).dataSync(),
    );
  });

  it('a table per head and a shared table have the right shapes and owners', () => {
    expect(new CoPE({ headDim: DH, numHeads: H, npos: NPOS, tablePerHead: true }).table.shape).toEqual([
      H,
      DH,
      NPOS,
    ]);
    const owner = new CoPE({ headDim: DH, numHeads: H, npos: NPOS });
    const user = new CoPE({ headDim: DH, numHeads: H, npos: NPOS }, { sharedTable: owner.table });
    expect(user.table).toBe(owner.table);
    expect(user.parameters()).toHaveLength(0);
    expect(() => new CoPE({ headDim: DH, numHeads: H, npos: 3 }, { sharedTable: owner.table })).toThrow(
      LabError,
    );
    expect(() => new CoPE({ headDim: DH, numHeads: H, npos: 1 })).toThrow(/npos/);
  });

  it('a training step leaves the live-tensor count unchanged', async () => {
    const cope = randomCope({ recordPositions: true });
    const q = tf.randomNormal([B, H, T, DH]) as tf.Tensor4D;
    const k = tf.randomNormal([B, H, T, DH]) as tf.Tensor4D;
    const ctx = context(q, k);
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(cope.adjustScores(ctx)) as tf.Scalar,
        cope.parameters(),
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(); // the first call creates the recorded-positions tensor
    await expectNoLeak(step);
    await expectNoLeak(step);
  });

  it('computes the same values and gradients on every backend', () => {
    const cope = randomCope({ tablePerHead: true }, 9);
    const q = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 10) as tf.Tensor4D;
    const k = tf.randomNormal([B, H, T, DH], 0, 1, 'float32', 11) as tf.Tensor4D;
    const f = (qq: tf.Tensor, kk: tf.Tensor) =>
      cope.adjustScores(context(qq as tf.Tensor4D, kk as tf.Tensor4D));
    const grads = tf.grads((qq: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.mul(f(qq, kk), causal(T, T))))([q, k]);
    results[backend] = [
      f(q, k).dataSync() as Float32Array,
      ...grads.map((g) => g.dataSync() as Float32Array),
    ];
  });
});

describe('CoPE layer across backends', () => {
  it('wasm and cpu agree to 1e-5', () => {
    const wasm = results.wasm!;
    const cpu = results.cpu!;
    expect(wasm).toHaveLength(3);
    for (let i = 0; i < 3; i++) expectClose(wasm[i]!, cpu[i]!, 1e-5);
  });
});
