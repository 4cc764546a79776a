import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import {
  AllowedTokensProcessor,
  ChainedGuidance,
  ClassifierFreeGuidance,
  ContrastiveDecoding,
  LogitsProcessorList,
  RepetitionPenaltyProcessor,
  sampleRow,
  TemperatureProcessor,
  TopKProcessor,
  TopPProcessor,
} from '../../src/index.js';
import { describeBackends, expectClose, expectNoLeak } from '../helpers.js';
import { seededRandom } from './random.js';

function randomLogits(seed: number, batch: number, vocab: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: batch * vocab }, () => rand() * 8 - 4);
}

/** Runs fn in a tidy scope, reads its output and frees it. */
function read(fn: () => tf.Tensor): Float32Array {
  const t = tf.tidy(fn);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b);
  return e.map((x) => x / s);
}

/** Reference nucleus: indices by descending logit until the mass reaches p. */
function nucleus(row: number[], p: number): Set<number> {
  const probs = softmax(row);
  const order = row.map((_, i) => i).sort((a, b) => row[b]! - row[a]!);
  const keep = new Set<number>();
  let mass = 0;
  for (const i of order) {
    if (mass >= p) break;
    keep.add(i);
    mass += probs[i]!;
  }
  return keep;
}

describeBackends('logits processors', () => {
  const [batch, vocab] = [3, 11];
  const ids = [[1, 2], [3], [4, 4, 5]];

  it('top-k and top-p keep exactly the reference sets; sampling never leaves them', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const data = randomLogits(seed, batch, vocab);
      await expectNoLeak(() => {
        const logits = tf.tensor2d(data, [batch, vocab]);
        for (const k of [1, 3, 7]) {
          const out = read(() => new TopKProcessor(k).process(ids, logits));
          for (let b = 0; b < batch; b++) {
            const row = Array.from(data.subarray(b * vocab, (b + 1) * vocab));
            const top = new Set(
              row
                .map((_, i) => i)
                .sort((x, y) => row[y]! - row[x]!)
                .slice(0, k),
            );
            for (let i = 0; i < vocab; i++) {
              expect(Number.isFinite(out[b * vocab + i]!)).toBe(top.has(i));
            }
            const rand = seededRandom(seed * 100 + k);
            for (let d = 0; d < 300; d++) expect(top.has(sampleRow(out, b * vocab, vocab, rand))).toBe(true);
          }
        }
        for (const p of [0.1, 0.5, 0.9]) {
          const out = read(() => new TopPProcessor(p).process(ids, tf.div(logits, 1.3) as tf.Tensor2D));
          for (let b = 0; b < batch; b++) {
            const row = Array.from(data.subarray(b * vocab, (b + 1) * vocab)).map((x) =>
              Math.fround(x / 1.3),
            );
            const keep = nucleus(row, p);
            for (let i = 0; i < vocab; i++) expect(Number.isFinite(out[b * vocab + i]!)).toBe(keep.has(i));
            const rand = seededRandom(seed * 1000 + p * 10);
            for (let d = 0; d < 300; d++) expect(keep.has(sampleRow(out, b * vocab, vocab, rand))).toBe(true);
          }
        }
        logits.dispose();
      });
    }
  });

  it('temperature, repetition penalty and a list compose in order', async () => {
    const data = randomLogits(5, batch, vocab);
    await expectNoLeak(() => {
      const logits = tf.tensor2d(data, [batch, vocab]);
      const list = new LogitsProcessorList([
        new RepetitionPenaltyProcessor(2),
        new TemperatureProcessor(0.5),
        (_ids, l) => tf.add(l, 1) as tf.Tensor2D,
      ]);
      const out = read(() => list.process(ids, logits));
      const expected = Array.from(data, (x, j) => {
        const b = Math.floor(j / vocab);
        const i = j % vocab;
        const seen = ids[b]!.includes(i);
        const pen = seen ? (x > 0 ? x / 2 : x * 2) : x;
        return pen / 0.5 + 1;
      });
      expectClose(out, expected, 1e-5);
      logits.dispose();
    });
  });

  it('classifier-free guidance and contrastive decoding follow their formulas', async () => {
    const c = randomLogits(6, batch, vocab);
    const u = randomLogits(7, batch, vocab);
    await expectNoLeak(() => {
      const ct = tf.tensor2d(c, [batch, vocab]);
      const ut = tf.tensor2d(u, [batch, vocab]);
      const cfg = read(() => new ClassifierFreeGuidance(3).combine(ids, ct, ut));
      expectClose(
        cfg,
        Array.from(c, (x, i) => u[i]! + 3 * (x - u[i]!)),
        1e-5,
      );
      const w = randomLogits(9, batch, vocab);
      const wt = tf.tensor2d(w, [batch, vocab]);
      const chained = read(() => new ChainedGuidance([2, 0.5]).combine([ids, ids, ids], [ct, ut, wt]));
      expectClose(
        chained,
        Array.from(c, (x, i) => w[i]! + 2 * (x - u[i]!) + 0.5 * (u[i]! - w[i]!)),
        1e-5,
      );
      wt.dispose();
      const cd = read(() => new ContrastiveDecoding({ alpha: 0.5, k: 2 }).combine(ids, ct, ut));
      for (let b = 0; b < batch; b++) {
        const pe = softmax(Array.from(c.subarray(b * vocab, (b + 1) * vocab)));
        const pa = softmax(Array.from(u.subarray(b * vocab, (b + 1) * vocab)));
        const kth = [...pe].sort((x, y) => y - x)[1]!;
        for (let i = 0; i < vocab; i++) {
          const v = cd[b * vocab + i]!;
          if (pe[i]! >= 0.5 * kth * (1 + 1e-6)) expect(v).toBeCloseTo(Math.log(pe[i]!) - Math.log(pa[i]!), 4);
          else if (pe[i]! < 0.5 * kth * (1 - 1e-6)) expect(v).toBe(Number.NEGATIVE_INFINITY);
        }
      }
      tf.dispose([ct, ut]);
    });
  });

  it('allowed tokens: only the listed ids or range survive', async () => {
    const data = randomLogits(8, batch, vocab);
    await expectNoLeak(() => {
      const logits = tf.tensor2d(data, [batch, vocab]);
      for (const allowed of [[2, 5, 9], { start: 3, end: 6 }]) {
        const set = new Set(Array.isArray(allowed) ? allowed : [3, 4, 5]);
        const out = read(() => new AllowedTokensProcessor(allowed).process(ids, logits));
        for (let j = 0; j < out.length; j++) {
          expect(out[j]).toBe(set.has(j % vocab) ? data[j] : Number.NEGATIVE_INFINITY);
        }
      }
      expect(() => new AllowedTokensProcessor([vocab]).process(ids, logits)).toThrow(
        expect.objectContaining({ code: 'GENERATE_CONFIG' }),
      );
      logits.dispose();
    });
  });

  it('rejects invalid settings with GENERATE_CONFIG', () => {
    expect(() => new TopPProcessor(0)).toThrow(expect.objectContaining({ code: 'GENERATE_CONFIG' }));
    expect(() => new TopKProcessor(0)).toThrow(expect.objectContaining({ code: 'GENERATE_CONFIG' }));
    expect(() => new TemperatureProcessor(-1)).toThrow(expect.objectContaining({ code: 'GENERATE_CONFIG' }));
  });
});
