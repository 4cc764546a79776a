import { initBackend, TransformerLM } from '@lab/core';
import { beforeAll, expect, it } from 'vitest';
import { countParameters, forwardFlopsPerToken, moeFeedForwards, moeParameterCount } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

const BASE = { vocabSize: 40, dModel: 16, nLayers: 3, nHeads: 2, dFF: 24, maxSeqLen: 20 } as const;

it('total parameters from the formula equal the built model (dense and MoE, gelu/swiglu, bias, norms, positions)', () => {
  const variants = [
    {},
    { bias: false, norm: 'rms', tiedEmbeddings: false },
    { position: { kind: 'relative', shared: false } },
    { position: { kind: 'rope' }, normPlacement: 'post' },
  ] as const;
  for (const v of variants) {
    for (const ff of [
      { kind: 'mlp', activation: 'gelu' },
      { kind: 'mlp', activation: 'swiglu' },
      { kind: 'moe', numExperts: 4 },
      { kind: 'moe', numExperts: 3, activation: 'swiglu', routing: 'switch' },
    ] as const) {
      const config = { ...BASE, ...v, feedForward: ff };
      const model = new TransformerLM(config, { feedForwards: moeFeedForwards });
      expect(countParameters(config).total, JSON.stringify(config)).toBe(model.numParameters());
      model.dispose();
    }
  }
});

it('active parameters count k experts and no router: an MoE with E = k = 1 minus its router is the dense model', () => {
  const dense = countParameters({ ...BASE, feedForward: { kind: 'mlp', activation: 'gelu' } });
  const moe = countParameters({ ...BASE, feedForward: { kind: 'moe', numExperts: 4 } });
  const m1 = countParameters({ ...BASE, feedForward: { kind: 'moe', numExperts: 1, routing: 'switch' } });
  expect(m1.active).toBe(dense.total);
  expect(m1.total).toBe(dense.total + BASE.nLayers * BASE.dModel);
  const ffn = 16 * 24 + 24 + 24 * 16 + 16;
  expect(moe.total - dense.total).toBe(BASE.nLayers * (3 * ffn + 4 * 16));
  expect(moe.active - dense.total).toBe(BASE.nLayers * ffn);
  // FLOPs count k experts, not E.
  const f2 = forwardFlopsPerToken({ ...BASE, feedForward: { kind: 'moe', numExperts: 4 } }, 20);
  const f8 = forwardFlopsPerToken({ ...BASE, feedForward: { kind: 'moe', numExperts: 8 } }, 20);
  expect(f8 - f2).toBe(BASE.nLayers * 2 * 16 * 4);
});

it("reproduces the spec's Llama-2 7B figures: 4-expert BTX ≈ 19.7B total, 11.1B active (top-2), 6.7B (top-1)", () => {
  const d = 4096;
  const parts = {
    embedding: 2 * 32000 * d,
    attention: 4 * d * d,
    ffn: 3 * d * 11008,
    nLayers: 32,
    dModel: d,
  };
  expect((parts.nLayers * parts.ffn) / 1e9).toBeCloseTo(4.33, 2);
  const top2 = moeParameterCount(parts, 4, 2);
  const top1 = moeParameterCount(parts, 4, 1);
  expect(top2.total / 1e9).toBeCloseTo(19.7, 1);
  expect(top2.active / 1e9).toBeCloseTo(11.1, 1);
  expect(top1.active / 1e9).toBeCloseTo(6.7, 1);
});
