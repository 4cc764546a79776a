import { expect, it } from 'vitest';
import { Embedding, tf } from '../../src/index.js';
import { describeBackends, expectClose } from '../helpers.js';

describeBackends('Embedding', () => {
  it('returns table rows and scatter-adds its gradient', () => {
    const emb = new Embedding({ numEmbeddings: 5, dim: 3, seed: 4 });
    const table = emb.weight.arraySync() as number[][];
    const ids = [
      [4, 1, 4],
      [0, 4, 2],
    ];
    const out = tf.tidy(() => emb.forward(tf.tensor2d(ids, [2, 3], 'int32')).arraySync()) as number[][][];
    expectClose(
      out.flat(2),
      ids.flat().flatMap((i) => table[i]!),
    );
    const { grads, value } = tf.variableGrads(() =>
      tf.sum(tf.mul(emb.forward(tf.tensor2d(ids, [2, 3], 'int32')), tf.range(0, 18).reshape([2, 3, 3]))),
    );
    const g = grads[emb.weight.name]!.arraySync() as number[][];
    const expected = Array.from({ length: 5 }, () => [0, 0, 0]);
    ids.flat().forEach((id, pos) => {
      for (let k = 0; k < 3; k++) expected[id]![k]! += pos * 3 + k;
    });
    expectClose(g.flat(), expected.flat());
    expect(g[3]).toEqual([0, 0, 0]);
    tf.dispose([value, grads]);
    emb.dispose();
  });
});
