import { describe, expect, it } from 'vitest';
import {
  LabError,
  MLP,
  type PositionConfig,
  type PositionEncoding,
  TransformerConfigSchema,
  TransformerLM,
  tf,
} from '../../src/index.js';
import { Module } from '../../src/nn/module.js';
import { describeBackends, expectClose, expectNoLeak } from '../helpers.js';

const POSITIONS: PositionConfig[] = [
  { kind: 'none' },
  { kind: 'absolute' },
  { kind: 'relative' },
  { kind: 'relative', shared: false },
  { kind: 'capped-relative', cap: 3, beyond: 'extend' },
  { kind: 'capped-relative', cap: 3, beyond: 'zero' },
  { kind: 'rope' },
];

function tiny(position: PositionConfig, extra: Record<string, unknown> = {}): TransformerLM {
  return new TransformerLM({
    vocabSize: 13,
    dModel: 16,
    nLayers: 2,
    nHeads: 2,
    maxSeqLen: 16,
    position,
    seed: 7,
    ...extra,
  });
}

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}

describeBackends('TransformerLM', () => {
  for (const position of POSITIONS) {
    const name = JSON.stringify(position);
    it(`cached decoding equals uncached logits (${name})`, () => {
      const model = tiny(position, { normPlacement: position.kind === 'rope' ? 'post' : 'pre' });
      const tokens = [
        [1, 2, 3, 4, 5, 6, 7],
        [7, 6, 5, 4, 3, 2, 1],
      ];
      const full = tf.tidy(() => model.forward(ids(tokens)).logits.arraySync());
      const cache = model.createCache(2);
      const parts: number[][][][] = [];
      for (const [a, b] of [
        [0, 3],
        [3, 4],
        [4, 7],
      ] as const) {
        parts.push(
          tf.tidy(() => model.forward(ids(tokens.map((r) => r.slice(a, b))), { cache }).logits.arraySync()),
        );
      }
      expect(cache.length).toBe(7);
      const incremental = tokens.map((_, r) => parts.flatMap((p) => p[r]!));
      expectClose(incremental.flat(2), full.flat(2), 1e-5, 1e-4);
      cache.dispose();
      model.dispose();
    });

    it(`a left-padded row equals the row alone, padded queries stay finite (${name})`, () => {
      const model = tiny(position);
      const alone = tf.tidy(() => model.forward(ids([[3, 1, 4, 1]])).logits.arraySync())[0]!;
      const mask = tf.tensor2d(
        [
          [0, 0, 1, 1, 1, 1],
          [1, 1, 1, 1, 1, 1],
        ],
        [2, 6],
        'int32',
      );
      const cache = model.createCache(2);
      const padded = tf.tidy(() =>
        model
          .forward(
            ids([
              [0, 0, 3, 1, 4, 1],
              [5, 9, 2, 6, 5, 3],
            ]),
            { attentionMask: mask, cache },
          )
          .logits.arraySync(),
      );
      expectClose(padded[0]!.slice(2).flat(), alone.flat(), 1e-5, 1e-4);
      for (const v of padded.flat(2)) expect(Number.isFinite(v)).toBe(true);
      // Decoding on: the cache remembers the mask, so the next token matches too.
      const nextAlone = tf.tidy(() => model.forward(ids([[3, 1, 4, 1, 5]])).logits.arraySync())[0]![4]!;
      const nextPadded = tf.tidy(() => model.forward(ids([[5], [8]]), { cache }).logits.arraySync())[0]![0]!;
      expectClose(nextPadded, nextAlone, 1e-5, 1e-4);
      mask.dispose();
      cache.dispose();
      model.dispose();
    });
  }

  it('training steps leak no tensors (dropout on, untied head, rms post-norm, swiglu)', async () => {
    const model = tiny(
      { kind: 'relative' },
      {
        dropout: 0.1,
        tiedEmbeddings: false,
        norm: 'rms',
        normPlacement: 'post',
        feedForward: { kind: 'mlp', activation: 'swiglu' },
      },
    );
    const tokens = ids([[1, 2, 3, 4, 5, 6]]);
    const optimizer = tf.train.sgd(0.1);
    const step = () =>
      tf.tidy(() => {
        optimizer.minimize(
          () => tf.mean(model.forward(tokens).logits) as tf.Scalar,
          false,
          model.parameters(),
        );
      });
    step();
    await expectNoLeak(() => {
      for (let i = 0; i < 3; i++) step();
    });
    optimizer.dispose();
    tokens.dispose();
    model.dispose();
  });

  it('same seed, same weights and logits; dropout is off in eval', () => {
    const a = tiny({ kind: 'absolute' }, { dropout: 0.5 }).eval();
    const b = tiny({ kind: 'absolute' }, { dropout: 0.5 }).eval();
    const x = ids([[1, 2, 3]]);
    const la = tf.tidy(() => a.forward(x).logits.dataSync());
    const lb = tf.tidy(() => b.forward(x).logits.dataSync());
    expect(Array.from(la)).toEqual(Array.from(lb));
    a.train();
    const t1 = tf.tidy(() => a.forward(x).logits.dataSync());
    expect(Array.from(t1)).not.toEqual(Array.from(la));
    x.dispose();
    a.dispose();
    b.dispose();
  });
});

describe('TransformerLM config and plug-ins', () => {
  it('parses to plain data that round-trips through JSON', () => {
    const config = TransformerConfigSchema.parse({
      vocabSize: 10,
      dModel: 8,
      nLayers: 1,
      nHeads: 2,
      maxSeqLen: 8,
      position: { kind: 'cope', npos: 9, nodiv: false },
    });
    expect(config.dFF).toBe(32);
    expect(config.position).toEqual({ kind: 'cope', npos: 9, nodiv: false });
    expect(TransformerConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('rejects bad configs with CONFIG_INVALID', () => {
    const base = { vocabSize: 10, dModel: 8, nLayers: 1, nHeads: 3, maxSeqLen: 8 };
    expect(() => new TransformerLM(base)).toThrow(LabError);
    expect(
      () => new TransformerLM({ ...base, nHeads: 2, position: { kind: 'rope', bse: 3 } as never }),
    ).toThrow(/config/);
    try {
      new TransformerLM({ ...base, nHeads: 2, extra: 1 } as never);
      expect.fail('no throw');
    } catch (err) {
      expect((err as LabError).code).toBe('CONFIG_INVALID');
    }
  });

  it('an unknown plug-in kind fails at construction', () => {
    try {
      tiny({ kind: 'cope' });
      expect.fail('no throw');
    } catch (err) {
      expect((err as LabError).code).toBe('POSITION_UNKNOWN');
    }
  });
});

describeBackends('TransformerLM plug-ins', () => {
  it('calls a plug-in adjustScores with all keys, and adds a plug-in feed-forward auxLoss', () => {
    const seen: { kLen: number; offset: number; allowedSum: number }[] = [];
    class Spy extends Module implements PositionEncoding {
      readonly kind = 'spy';
      adjustScores(ctx: Parameters<NonNullable<PositionEncoding['adjustScores']>>[0]): tf.Tensor4D {
        seen.push({
          kLen: ctx.k.shape[2],
          offset: ctx.queryOffset,
          allowedSum: tf.sum(ctx.allowed).arraySync() as number,
        });
        return ctx.scores;
      }
    }
    class AuxMLP extends MLP {
      override readonly kind = 'mlp';
      override forward(x: tf.Tensor3D) {
        return { output: super.forward(x).output, auxLoss: tf.scalar(0.5) };
      }
    }
    const model = new TransformerLM(
      {
        vocabSize: 10,
        dModel: 8,
        nLayers: 3,
        nHeads: 2,
        maxSeqLen: 8,
        position: { kind: 'spy' },
        feedForward: { kind: 'aux', weight: 2 },
      },
      {
        positionEncodings: { spy: () => new Spy() },
        feedForwards: {
          aux: (cfg, layer, mc) =>
            new AuxMLP({ dModel: mc.dModel, dFF: 4, seed: layer + (cfg.weight as number) }),
        },
      },
    );
    const cache = model.createCache(1);
    const out1 = model.forward(ids([[1, 2, 3]]), { cache });
    const out2 = model.forward(ids([[4]]), { cache });
    expect(out1.auxLoss?.arraySync()).toBeCloseTo(1.5);
    expect(seen.map((s) => s.kLen)).toEqual([3, 3, 3, 4, 4, 4]);
    expect(seen.map((s) => s.offset)).toEqual([0, 0, 0, 3, 3, 3]);
    expect(seen[0]!.allowedSum).toBe(6); // causal lower triangle of 3x3
    expect(seen[3]!.allowedSum).toBe(4);
    expect(model.namedParameters().some(([n]) => n.startsWith('blocks.2.ff.'))).toBe(true);
    tf.dispose([out1.logits, out1.auxLoss!, out2.logits, out2.auxLoss!]);
    cache.dispose();
    model.dispose();
  });
}, ['cpu']);

describe('TransformerLM state dict names', () => {
  it('are stable and the shared relative table appears once', () => {
    const model = tiny({ kind: 'relative' }, { tiedEmbeddings: false });
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain('tokenEmbedding.weight');
    expect(names).toContain('position.table');
    expect(names).toContain('blocks.0.attn.qkv.weight');
    expect(names).toContain('blocks.1.ff.proj.bias');
    expect(names).toContain('finalNorm.weight');
    expect(names).toContain('head.weight');
    expect(names.filter((n) => n.endsWith('table'))).toHaveLength(1);
    expect(new Set(model.parameters()).size).toBe(model.parameters().length);
    const oneLayer = new TransformerLM({
      vocabSize: 5,
      dModel: 8,
      nLayers: 1,
      nHeads: 2,
      maxSeqLen: 4,
      position: { kind: 'relative' },
    });
    expect(oneLayer.namedParameters().map(([n]) => n)).toContain('position.table');
    oneLayer.dispose();
    const perLayer = tiny({ kind: 'relative', shared: false });
    expect(perLayer.namedParameters().map(([n]) => n)).toContain('blocks.1.attn.position.table');
    model.dispose();
    perLayer.dispose();
  });
});
