import { tf } from '@lab/core';
import { expect, it } from 'vitest';
import { describeBackends, expectClose, expectNoLeak } from '../../core/test/helpers.js';
import { contextualPositions, interpolatedPositionLogits } from '../src/index.js';

/** Causal mask for queries at offset..offset+tq over tk keys: [1, 1, tq, tk]. */
function causal(tq: number, tk: number, offset = tk - tq): tf.Tensor4D {
  const m = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) for (let j = 0; j < tk; j++) m[i * tk + j] = j <= i + offset ? 1 : 0;
  return tf.tensor4d(m, [1, 1, tq, tk]);
}

/**
 * The direct O(T²·d) computation: positions by a matMul with an upper
 * triangle (no cumsum), e[p] as hat-function weights over every integer
 * position (a [B, H, Tq, Tk, P] weight tensor), then q·e[p] by a full sum.
 */
function reference(
  q: tf.Tensor4D,
  table: tf.Tensor,
  gates: tf.Tensor4D,
  allowed: tf.Tensor4D,
  maxPos: number,
) {
  const [b, h, tq, dh] = q.shape;
  const tk = gates.shape[3];
  const npos = table.shape[table.rank - 1]!;
  const tri = tf.linalg.bandPart(tf.ones([tk, tk]), 0, -1); // [t, j] = 1 when j ≤ t... transposed below
  // p_ij = Σ_t G_it [j ≤ t] = (G · L)_ij with L[t, j] = [t ≥ j].
  const g = tf.mul(gates, allowed);
  const p = tf.minimum(
    tf.reshape(tf.matMul(tf.reshape(g, [-1, tk]), tf.transpose(tri)), [b, h, tq, tk]),
    maxPos,
  );
  const ks = tf.range(0, npos).reshape([1, 1, 1, 1, npos]);
  const hat = tf.relu(tf.sub(1, tf.abs(tf.sub(tf.expandDims(p, 4), ks)))); // [B, H, Tq, Tk, P]
  const e =
    table.rank === 2
      ? tf.reshape(tf.matMul(tf.reshape(hat, [-1, npos]), tf.transpose(table as tf.Tensor2D)), [
          b,
          h,
          tq,
          tk,
          dh,
        ])
      : tf.transpose(
          tf.reshape(
            tf.matMul(
              tf.reshape(tf.transpose(hat, [1, 0, 2, 3, 4]), [h, -1, npos]),
              table as tf.Tensor3D,
              false,
              true,
            ),
            [h, b, tq, tk, dh],
          ),
          [1, 0, 2, 3, 4],
        ); // [B, H, Tq, Tk, dh]
  return tf.sum(tf.mul(tf.expandDims(q, 3), e), 4) as tf.Tensor4D; // [B, H, Tq, Tk]
}

describeBackends('CoPE ops', () => {
  for (const perHead of [false, true]) {
    for (const [tq, tk] of [
      [5, 5],
      [2, 6],
    ] as const) {
      it(`efficient == direct reference, values and gradients (perHead=${perHead}, Tq=${tq}, Tk=${tk})`, () => {
        const [b, h, dh, npos] = [2, 3, 4, 4];
        const q = tf.randomNormal([b, h, tq, dh], 0, 1, 'float32', 11) as tf.Tensor4D;
        const table = tf.randomNormal(perHead ? [h, dh, npos] : [dh, npos], 0, 1, 'float32', 12);
        const logits = tf.randomNormal([b, h, tq, tk], 0, 2, 'float32', 13) as tf.Tensor4D;
        const weights = tf.randomNormal([b, h, tq, tk], 0, 1, 'float32', 14);
        const allowed = causal(tq, tk);
        const maxPos = npos - 1; // small table, so clipping is exercised
        const efficient = (qq: tf.Tensor, tt: tf.Tensor, ll: tf.Tensor) =>
          interpolatedPositionLogits(
            qq as tf.Tensor4D,
            tt,
            contextualPositions(tf.sigmoid(ll) as tf.Tensor4D, allowed, maxPos),
          );
        const direct = (qq: tf.Tensor, tt: tf.Tensor, ll: tf.Tensor) =>
          reference(qq as tf.Tensor4D, tt, tf.sigmoid(ll) as tf.Tensor4D, allowed, maxPos);
        expectClose(efficient(q, table, logits).dataSync(), direct(q, table, logits).dataSync());
        const loss = (f: typeof efficient) => (qq: tf.Tensor, tt: tf.Tensor, ll: tf.Tensor) =>
          tf.sum(tf.mul(f(qq, tt, ll), weights));
        const ge = tf.grads(loss(efficient))([q, table, logits]);
        const gd = tf.grads(loss(direct))([q, table, logits]);
        for (let i = 0; i < 3; i++) expectClose(ge[i]!.dataSync(), gd[i]!.dataSync(), 1e-4);
        // The gates do receive gradient (through w), not only q and the table.
        expect(Math.max(...Array.from(ge[2]!.abs().dataSync()))).toBeGreaterThan(1e-3);
      });
    }
  }

  it('all gates 1 gives p_ij = i − j + 1 on visible keys, 0 on future ones, clipped at maxPos', () => {
    const t = 6;
    const p = contextualPositions(tf.ones([1, 2, t, t]) as tf.Tensor4D, causal(t, t), 100).arraySync();
    const clipped = contextualPositions(tf.ones([1, 1, t, t]) as tf.Tensor4D, causal(t, t), 3).arraySync();
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < t; j++) {
        expect(p[0]![1]![i]![j]).toBe(j <= i ? i - j + 1 : 0);
        expect(clipped[0]![0]![i]![j]).toBe(j <= i ? Math.min(i - j + 1, 3) : 0);
      }
    }
  });

  it('gates firing only on chosen tokens count those tokens between j and i', () => {
    const t = 9;
    const chosen = [1, 4, 5, 8];
    const g = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (const c of chosen) g[i * t + c] = 1;
    const p = contextualPositions(tf.tensor4d(g, [1, 1, t, t]), causal(t, t), 100).arraySync()[0]![0]!;
    for (let i = 0; i < t; i++) {
      for (let j = 0; j <= i; j++) {
        expect(p[i]![j]).toBe(chosen.filter((c) => c >= j && c <= i).length);
      }
    }
  });

  it('padding in the mask (per-row [B, 1, Tq, Tk]) removes padded keys from the count', () => {
    const t = 4;
    const allowed = tf.mul(causal(t, t), tf.tensor4d([0, 1, 1, 1, 1, 1, 1, 1], [2, 1, 1, t])) as tf.Tensor4D;
    const p = contextualPositions(tf.ones([2, 1, t, t]) as tf.Tensor4D, allowed, 100).arraySync();
    expect(p[0]![0]![3]).toEqual([3, 3, 2, 1]); // key 0 padded in row 0: not counted
    expect(p[1]![0]![3]).toEqual([4, 3, 2, 1]);
  });

  it('refuses to run without the UnsortedSegmentSum kernel its gradient needs', () => {
    const backend = tf.getBackend();
    const kernel = tf.getKernel('UnsortedSegmentSum', backend)!;
    tf.unregisterKernel('UnsortedSegmentSum', backend);
    try {
      const p = contextualPositions(tf.ones([1, 1, 3, 3]) as tf.Tensor4D, causal(3, 3), 3);
      expect(() =>
        interpolatedPositionLogits(tf.ones([1, 1, 3, 2]) as tf.Tensor4D, tf.ones([2, 4]), p),
      ).toThrow(/UnsortedSegmentSum/);
    } finally {
      tf.registerKernel(kernel);
    }
  });

  it('leaves no tensors behind, forward and backward', async () => {
    const q = tf.randomNormal([1, 2, 4, 4]) as tf.Tensor4D;
    const table = tf.randomNormal([4, 5]);
    const logits = tf.randomNormal([1, 2, 4, 4]) as tf.Tensor4D;
    const allowed = causal(4, 4);
    await expectNoLeak(() => {
      const { value, grads } = tf.valueAndGrads((qq: tf.Tensor, tt: tf.Tensor, ll: tf.Tensor) =>
        tf.sum(
          interpolatedPositionLogits(
            qq as tf.Tensor4D,
            tt,
            contextualPositions(tf.sigmoid(ll) as tf.Tensor4D, allowed, 4),
          ),
        ),
      )([q, table, logits]);
      tf.dispose([value, ...grads]);
    });
  });
});
