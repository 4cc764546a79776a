import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { type CausalLM, maskedCrossEntropy, nextTokenLoss, TransformerLM } from '../../src/index.js';
import { describeBackends, expectNoLeak } from '../helpers.js';

describeBackends('nextTokenLoss()', () => {
  it('is the masked CE of shifted targets plus auxLoss; padding is never a target', async () => {
    const model = new TransformerLM({
      vocabSize: 11,
      dModel: 8,
      nLayers: 1,
      nHeads: 2,
      maxSeqLen: 16,
      seed: 2,
    });
    model.eval();
    await expectNoLeak(async () => {
      const tokens = tf.tensor2d([[3, 1, 4, 1, 5]], [1, 5], 'int32');
      const loss = nextTokenLoss(model, { tokens });
      const manual = tf.tidy(() => {
        const { logits } = model.forward(tf.tensor2d([[3, 1, 4, 1]], [1, 4], 'int32'));
        return maskedCrossEntropy(logits, tf.tensor2d([[1, 4, 1, 5]], [1, 4], 'int32'));
      });
      expect((await loss.data())[0]).toBeCloseTo((await manual.data())[0]!, 5);

      // Left-padded copy with an attention mask scores the same targets.
      const padded = {
        tokens: tf.tensor2d([[0, 0, 3, 1, 4, 1, 5]], [1, 7], 'int32'),
        attentionMask: tf.tensor2d([[0, 0, 1, 1, 1, 1, 1]], [1, 7]),
      };
      const paddedLoss = nextTokenLoss(model, padded);
      expect((await paddedLoss.data())[0]).toBeCloseTo((await loss.data())[0]!, 4);

      // lossMask selects targets: only the last token.
      const lossMask = tf.tensor2d([[0, 0, 0, 0, 1]], [1, 5]);
      const lastOnly = nextTokenLoss(model, { tokens, lossMask });
      const manualLast = tf.tidy(() => {
        const { logits } = model.forward(tf.tensor2d([[3, 1, 4, 1]], [1, 4], 'int32'));
        return maskedCrossEntropy(
          logits,
          tf.tensor2d([[1, 4, 1, 5]], [1, 4], 'int32'),
          tf.tensor2d([[0, 0, 0, 1]]),
        );
      });
      expect((await lastOnly.data())[0]).toBeCloseTo((await manualLast.data())[0]!, 5);

      // auxLoss is added.
      const withAux: CausalLM = {
        vocabSize: model.vocabSize,
        maxSeqLen: model.maxSeqLen,
        forward: (t, o) => ({ logits: model.forward(t, o).logits, auxLoss: tf.scalar(0.25) }),
        createCache: (b) => model.createCache(b),
        parameters: () => model.parameters(),
        train: (on) => model.train(on),
        eval: () => model.eval(),
      };
      const aux = nextTokenLoss(withAux, { tokens });
      expect((await aux.data())[0]).toBeCloseTo((await loss.data())[0]! + 0.25, 5);
      tf.dispose([tokens, loss, manual, padded, paddedLoss, lossMask, lastOnly, manualLast, aux]);
    });
    expect(() => nextTokenLoss(model, { tokens: tf.tensor2d([[1]], [1, 1], 'int32') })).toThrow(
      expect.objectContaining({ code: 'LM_BATCH_SHAPE' }),
    );
    model.dispose();
  });
});
