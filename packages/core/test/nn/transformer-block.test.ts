import { expect, it } from 'vitest';
import { type FeedForward, MLP, RotaryPosition, TransformerBlock, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';
import { randomArray } from './grad-check.js';

class AuxFF extends MLP implements FeedForward {
  override forward(x: tf.Tensor3D) {
    return { output: super.forward(x).output, auxLoss: tf.scalar(0.25) };
  }
}

describeBackends('TransformerBlock', () => {
  for (const placement of ['pre', 'post'] as const) {
    for (const norm of ['layer', 'rms'] as const) {
      it(`${placement}-norm (${norm}) equals its composition of sub-modules`, () => {
        const block = new TransformerBlock(
          { dModel: 8, nHeads: 2, normPlacement: placement, norm, seed: 4 },
          {
            feedForward: new AuxFF({ dModel: 8, dFF: 16, seed: 2 }),
            position: new RotaryPosition({ headDim: 4 }),
          },
        );
        const x = tf.tensor3d(randomArray(2 * 3 * 8, 3), [2, 3, 8]);
        const { output, auxLoss } = block.forward(x);
        const expected = tf.tidy(() => {
          if (placement === 'pre') {
            const h = tf.add<tf.Tensor3D>(x, block.attn.forward(block.norm1.forward(x)));
            return tf.add(h, block.ff.forward(block.norm2.forward(h)).output);
          }
          const h = block.norm1.forward(tf.add<tf.Tensor3D>(x, block.attn.forward(x)));
          return block.norm2.forward(tf.add(h, block.ff.forward(h).output));
        });
        expectClose(output.dataSync(), expected.dataSync(), 1e-6);
        expect(auxLoss?.dataSync()[0]).toBeCloseTo(0.25);
        tf.dispose([x, output, auxLoss!, expected]);
        block.dispose();
      });
    }
  }
});
