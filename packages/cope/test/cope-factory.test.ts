import {
  generate,
  initBackend,
  LabError,
  type TransformerConfigInput,
  TransformerLM,
  tf,
  train,
} from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../../core/test/helpers.js';
import { CoPE, type CopePositionConfigInput, copeFactory } from '../src/index.js';

const base = { vocabSize: 12, dModel: 16, nHeads: 2, maxSeqLen: 24, seed: 3 } as const;

function model(position: CopePositionConfigInput, nLayers = 2, extra: Partial<TransformerConfigInput> = {}) {
  return new TransformerLM(
    { ...base, nLayers, position, ...extra },
    { positionEncodings: { cope: copeFactory } },
  );
}

/** CoPE tables start at zero; give them values so the tests see CoPE at work. */
function randomizeTables(m: TransformerLM, seed = 1): void {
  m.namedParameters()
    .filter(([name]) => name.endsWith('.table') && !name.includes('inner'))
    .forEach(([, v], i) => {
      v.assign(tf.randomNormal(v.shape, 0, 1, 'float32', seed + i));
    });
}

function copeLayers(m: TransformerLM): CoPE[] {
  return m.blocks
    .map((b) => (b as unknown as { attn: { position: unknown } }).attn.position)
    .filter((p): p is CoPE => p instanceof CoPE);
}

describe('CoPE in TransformerLM', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('builds one table per layer, or one shared table', () => {
    const perLayer = model({ kind: 'cope' });
    const names = perLayer.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.endsWith('position.table'))).toHaveLength(2);
    expect(copeLayers(perLayer)).toHaveLength(2);
    expect(copeLayers(perLayer)[0]!.table.shape).toEqual([8, 25]); // npos default maxSeqLen + 1
    const shared = model({ kind: 'cope', sharedTable: true, npos: 9 });
    const tables = shared.namedParameters().filter(([n]) => n.endsWith('table'));
    expect(tables).toHaveLength(1);
    const [a, b] = copeLayers(shared);
    expect(a!.table).toBe(b!.table);
    expect(a!.table.shape).toEqual([8, 9]);
  });

  it('cope+rel: CoPE on every K-th layer, one relative table shared by all layers, no duplicate parameters', () => {
    const m = model({ kind: 'cope', copeEvery: 2 }, 4);
    const kinds = m.blocks.map(
      (b) => (b as unknown as { attn: { position: { kind: string } } }).attn.position.kind,
    );
    expect(kinds).toEqual(['relative', 'cope+relative', 'relative', 'cope+relative']);
    const params = m.parameters();
    expect(new Set(params).size).toBe(params.length);
    const names = m.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.endsWith('table'))).toHaveLength(3); // 1 relative + 2 CoPE
    // CoPE everywhere plus the relative bias: the first CoPE layer owns the relative table.
    const all = model({ kind: 'cope', relative: true }, 2);
    const allParams = all.parameters();
    expect(new Set(allParams).size).toBe(allParams.length);
    expect(all.namedParameters().filter(([n]) => n.endsWith('table'))).toHaveLength(3);
  });

  it('value gates get v from attention; separate gate keys add one [d_h, d_h] parameter per layer', () => {
    const tokens = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const valueGated = model({ kind: 'cope', gate: { kind: 'value' } });
    randomizeTables(valueGated);
    const keyGated = model({ kind: 'cope' });
    randomizeTables(keyGated);
    const a = valueGated.forward(tokens).logits.dataSync();
    const b = keyGated.forward(tokens).logits.dataSync();
    expect(a.every(Number.isFinite)).toBe(true);
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeGreaterThan(1e-6); // same weights, other gates
    const sep = model({ kind: 'cope', gate: { kind: 'separateKey' } });
    expect(sep.namedParameters().filter(([n]) => n.endsWith('gateKey'))).toHaveLength(2);
  });

  it('rejects bad options at construction', () => {
    expect(() => model({ kind: 'cope', npos: 1 })).toThrow(LabError);
    expect(() => model({ kind: 'cope', bogus: 1 } as unknown as CopePositionConfigInput)).toThrow(/bogus/);
  });

  it('cached generation equals uncached generation, and cached logits equal full-sequence logits', async () => {
    const m = model({ kind: 'cope', copeEvery: 2 }, 2);
    randomizeTables(m);
    m.eval();
    const prompt = [1, 4, 2, 7, 3];
    const cached = await generate(m, [prompt], { maxNewTokens: 8, useCache: true, returnLogits: true });
    const uncached = await generate(m, [prompt], { maxNewTokens: 8, useCache: false, returnLogits: true });
    expect(cached.tokens).toEqual(uncached.tokens);
    for (let s = 0; s < 8; s++) expectClose(cached.logits![s]!, uncached.logits![s]!, 1e-4);
    // Direct: prefix then one token at a time through the cache, against one full pass.
    const seq = [...prompt, 5, 6, 8];
    const full = m.forward(tf.tensor2d([seq], [1, seq.length], 'int32')).logits;
    const cache = m.createCache(1);
    const first = m.forward(tf.tensor2d([prompt], [1, prompt.length], 'int32'), { cache }).logits;
    const steps = [first];
    for (const t of [5, 6, 8]) steps.push(m.forward(tf.tensor2d([[t]], [1, 1], 'int32'), { cache }).logits);
    expectClose(tf.concat(steps, 1).dataSync(), full.dataSync(), 1e-4);
    cache.dispose();
  });

  it('left-padded rows compute what they would alone (padding is not counted)', () => {
    const m = model({ kind: 'cope' });
    randomizeTables(m, 5);
    m.eval();
    const alone = m.forward(tf.tensor2d([[3, 4, 5]], [1, 3], 'int32')).logits;
    const padded = m.forward(tf.tensor2d([[0, 0, 3, 4, 5]], [1, 5], 'int32'), {
      attentionMask: tf.tensor2d([[0, 0, 1, 1, 1]], [1, 5]),
    }).logits;
    expectClose(tf.slice(padded, [0, 2, 0], [1, 3, base.vocabSize]).dataSync(), alone.dataSync(), 1e-4);
  });

  it('trains through core train(): tables get gradient, live tensors constant from step to step', async () => {
    const m = model({ kind: 'cope', recordPositions: true });
    // Batches made on demand (the loop disposes each after its step).
    function* batches() {
      for (;;) yield { tokens: tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32') };
    }
    const before = copeLayers(m)[0]!.table.dataSync().slice();
    const live: number[] = [];
    const result = await train({
      model: m,
      steps: 5,
      data: batches(),
      progress: 'none',
      optimizer: { lr: 1e-2 },
      callbacks: { onStep: () => void live.push(tf.memory().numTensors) },
    });
    result.optimizer.dispose();
    // Step 1 creates the recorded positions and optimizer state; after that nothing grows.
    expect(new Set(live.slice(1)).size).toBe(1);
    const after = copeLayers(m)[0]!.table.dataSync();
    expect(Math.max(...after.map((x, i) => Math.abs(x - before[i]!)))).toBeGreaterThan(1e-4);
    expect(copeLayers(m)[0]!.lastPositions!.shape).toEqual([1, 2, 7, 7]);
  });
});
