import { expect, it } from 'vitest';
import { Attention, buildAttentionMask, tf } from '../../src/index.js';
import { TransformerKVCache } from '../../src/model/kv-cache.js';
import { describeBackends, expectClose } from '../helpers.js';
import { checkGradients, randomArray } from './grad-check.js';

/** Causal multi-head attention with explicit loops, from the module's weights. */
function loopAttention(attn: Attention, xs: number[], batch: number, seq: number): number[] {
  const d = attn.config.dModel;
  const h = attn.config.nHeads;
  const hd = d / h;
  const wqkv = attn.qkv.weight.arraySync() as number[][];
  const bqkv = attn.qkv.bias!.arraySync() as number[];
  const wo = attn.out.weight.arraySync() as number[][];
  const bo = attn.out.bias!.arraySync() as number[];
  const proj = (row: number[], c: number) => row.reduce((a, v, i) => a + v * wqkv[i]![c]!, bqkv[c]!);
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const rows = Array.from({ length: seq }, (_, t) => xs.slice((b * seq + t) * d, (b * seq + t + 1) * d));
    const q = rows.map((r) => Array.from({ length: d }, (_, c) => proj(r, c)));
    const k = rows.map((r) => Array.from({ length: d }, (_, c) => proj(r, d + c)));
    const v = rows.map((r) => Array.from({ length: d }, (_, c) => proj(r, 2 * d + c)));
    for (let i = 0; i < seq; i++) {
      const ctx = new Array(d).fill(0);
      for (let head = 0; head < h; head++) {
        const s: number[] = [];
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let c = 0; c < hd; c++) dot += q[i]![head * hd + c]! * k[j]![head * hd + c]!;
          s.push(dot / Math.sqrt(hd));
        }
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j <= i; j++) {
          for (let c = 0; c < hd; c++) ctx[head * hd + c] += (e[j]! / z) * v[j]![head * hd + c]!;
        }
      }
      for (let o = 0; o < d; o++) out.push(ctx.reduce((a, val, c) => a + val * wo[c]![o]!, bo[o]!));
    }
  }
  return out;
}

describeBackends('Attention', () => {
  it('matches a loop-based reference on tiny shapes', () => {
    const attn = new Attention({ dModel: 8, nHeads: 2, seed: 3, initStd: 0.4 });
    attn.qkv.bias!.assign(tf.tensor1d(randomArray(24, 5)));
    const xs = randomArray(2 * 5 * 8, 11);
    const y = tf.tidy(() => attn.forward(tf.tensor3d(xs, [2, 5, 8])).dataSync());
    expectClose(y, loopAttention(attn, xs, 2, 5), 1e-5, 1e-4);
    attn.dispose();
  });

  it('continues from a cache and has correct gradients', () => {
    const attn = new Attention({ dModel: 4, nHeads: 2, seed: 5, initStd: 0.5 });
    const xs = randomArray(6 * 4, 2);
    const full = tf.tidy(() => attn.forward(tf.tensor3d(xs, [1, 6, 4])).dataSync());
    const cache = new TransformerKVCache(1, 1);
    const a = tf.tidy(() =>
      attn.forward(tf.tensor3d(xs.slice(0, 16), [1, 4, 4]), { cache: { store: cache, layer: 0 } }).dataSync(),
    );
    cache.advance(4, null);
    const mask = buildAttentionMask(2, 6, null);
    const b = tf.tidy(() =>
      attn
        .forward(tf.tensor3d(xs.slice(16), [1, 2, 4]), { cache: { store: cache, layer: 0 }, mask })
        .dataSync(),
    );
    expectClose([...a, ...b], full, 1e-5);
    expect(cache.layers[0]!.k!.shape).toEqual([1, 2, 6, 2]);
    tf.dispose([mask.allowed, mask.bias]);
    cache.dispose();
    const x = tf.tensor3d(xs, [1, 6, 4]);
    checkGradients(
      () => tf.sum(tf.mul(attn.forward(x), tf.tensor3d(randomArray(24, 4), [1, 6, 4]))),
      attn.parameters(),
      {
        maxPerVariable: 4,
      },
    );
    x.dispose();
    attn.dispose();
  });

  it('masks padded keys: a padded key changes nothing', () => {
    const attn = new Attention({ dModel: 4, nHeads: 1, seed: 1, initStd: 0.5 });
    const xs = randomArray(4 * 4, 8);
    const noisy = xs.slice();
    for (let c = 0; c < 4; c++) noisy[4 + c] = 100; // token 1 is padding
    const keyMask = tf.tensor2d([[1, 0, 1, 1]]);
    const run = (data: number[]) =>
      tf.tidy(() =>
        attn.forward(tf.tensor3d(data, [1, 4, 4]), { mask: buildAttentionMask(4, 4, keyMask) }).dataSync(),
      );
    const clean = run(xs);
    const dirty = run(noisy);
    expectClose(Array.from(dirty).slice(8), Array.from(clean).slice(8), 1e-5);
    for (const v of dirty) expect(Number.isFinite(v)).toBe(true);
    keyMask.dispose();
    attn.dispose();
  });
});
