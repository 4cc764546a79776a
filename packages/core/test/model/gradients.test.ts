import { it } from 'vitest';
import { type PositionConfig, TransformerLM, tf } from '../../src/index.js';
import { describeBackends } from '../helpers.js';
import { checkGradients, randomArray } from '../nn/grad-check.js';

const KINDS: PositionConfig[] = [
  { kind: 'absolute' },
  { kind: 'relative' },
  { kind: 'capped-relative', cap: 2, beyond: 'zero' },
  { kind: 'rope' },
];

describeBackends('TransformerLM gradients (finite differences)', () => {
  for (const position of KINDS) {
    it(`match autodiff through the whole model (${position.kind}, post-norm rms, swiglu, untied)`, () => {
      const model = new TransformerLM({
        vocabSize: 7,
        dModel: 8,
        nLayers: 1,
        nHeads: 2,
        maxSeqLen: 6,
        position,
        norm: 'rms',
        normPlacement: 'post',
        tiedEmbeddings: false,
        feedForward: { kind: 'mlp', activation: 'swiglu' },
        seed: 3,
      });
      // Larger weights than the 0.02 init, so that every path carries signal.
      for (const v of model.parameters()) {
        if (v.rank >= 2) v.assign(tf.tidy(() => tf.mul(v, 20)));
      }
      const tokens = tf.tensor2d([[1, 4, 2, 6, 0]], [1, 5], 'int32');
      const w = tf.tensor3d(randomArray(5 * 7, 9), [1, 5, 7]);
      checkGradients(() => tf.sum(tf.mul(model.forward(tokens).logits, w)), model.parameters(), {
        maxPerVariable: 3,
        eps: 5e-3,
        tol: 3e-2,
      });
      tf.dispose([tokens, w]);
      model.dispose();
    });
  }
}, ['cpu']);
