import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { sequenceLogProbs, TransformerLM } from '../../src/index.js';
import { describeBackends, expectClose, expectNoLeak } from '../helpers.js';
import { ToyLM } from './toy-lm.js';

const VOCAB = 9;

describeBackends('sequenceLogProbs()', () => {
  it('equals a manual log-softmax gather over the masked positions, and is differentiable', async () => {
    for (const model of [
      new ToyLM(VOCAB, 6, 16, 4),
      new TransformerLM({
        vocabSize: VOCAB,
        dModel: 8,
        nLayers: 1,
        nHeads: 2,
        maxSeqLen: 16,
        position: { kind: 'rope' },
      }),
    ]) {
      model.eval();
      const tokens = [
        [1, 4, 2, 8, 0],
        [3, 3, 5, 6, 7],
      ];
      const mask = [
        [1, 1, 0, 1, 1],
        [0, 0, 1, 1, 0],
      ];
      await expectNoLeak(async () => {
        const { sums, perToken } = sequenceLogProbs(model, tokens, mask);
        const logits = tf.tidy(() => model.forward(tf.tensor2d(tokens, undefined, 'int32')).logits);
        const l = (await logits.data()) as Float32Array;
        logits.dispose();
        const T = 5;
        const expectedPer = tokens.map((row, b) =>
          row.map((tok, t) => {
            if (t === 0 || mask[b]![t] === 0) return 0;
            const off = (b * T + t - 1) * VOCAB;
            const slice = Array.from(l.subarray(off, off + VOCAB));
            const max = Math.max(...slice);
            const lse = max + Math.log(slice.reduce((a, x) => a + Math.exp(x - max), 0));
            return slice[tok]! - lse;
          }),
        );
        expectClose(await perToken.data(), expectedPer.flat(), 1e-5);
        expectClose(
          await sums.data(),
          expectedPer.map((r) => r.reduce((a, b) => a + b)),
          1e-5,
        );
        tf.dispose([sums, perToken]);
        // Gradients flow to the parameters (for DPO-style training).
        const { value, grads } = tf.variableGrads(() => {
          const out = sequenceLogProbs(model, tokens, mask);
          return tf.sum(out.sums) as tf.Scalar;
        }, model.parameters());
        const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g)))));
        expect((await norm.data())[0]).toBeGreaterThan(0);
        tf.dispose([value, grads, norm]);
      });
      model.dispose();
    }
  });

  it('scores a left-padded row like the unpadded one, given the attention mask', async () => {
    const model = new TransformerLM({ vocabSize: VOCAB, dModel: 8, nLayers: 1, nHeads: 2, maxSeqLen: 16 });
    model.eval();
    const alone = sequenceLogProbs(model, [[2, 5, 7]], [[0, 1, 1]]);
    const padded = sequenceLogProbs(model, [[0, 0, 2, 5, 7]], [[0, 0, 0, 1, 1]], {
      attentionMask: [[0, 0, 1, 1, 1]],
    });
    expectClose(await padded.sums.data(), await alone.sums.data(), 1e-5);
    tf.dispose([alone.sums, alone.perToken, padded.sums, padded.perToken]);
    expect(() => sequenceLogProbs(model, [[1, 2]], [[1, 1, 1]])).toThrow(
      expect.objectContaining({ code: 'LOGPROBS_SHAPE' }),
    );
    model.dispose();
  });
});
