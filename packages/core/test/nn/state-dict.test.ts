import { describe, expect, it } from 'vitest';
import { type LabError, TransformerLM, tf } from '../../src/index.js';

const config = { vocabSize: 9, dModel: 8, nLayers: 1, nHeads: 2, maxSeqLen: 8 };

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    return (err as LabError).code;
  }
  return 'no error';
}

describe('stateDict / loadStateDict', () => {
  it('round-trips weights between two models with different seeds', async () => {
    const { initBackend } = await import('../../src/index.js');
    await initBackend({ prefer: 'cpu' });
    const a = new TransformerLM({ ...config, seed: 1 });
    const b = new TransformerLM({ ...config, seed: 2 });
    const x = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const la = a.forward(x).logits.dataSync();
    expect(Array.from(b.forward(x).logits.dataSync())).not.toEqual(Array.from(la));
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.forward(x).logits.dataSync())).toEqual(Array.from(la));
    a.dispose();
    b.dispose();
  });

  it('names missing, unexpected and mis-shaped tensors with stable codes', () => {
    const m = new TransformerLM(config);
    const dict = { ...m.stateDict() };
    const { 'blocks.0.attn.qkv.weight': _dropped, ...missing } = dict;
    expect(codeOf(() => m.loadStateDict(missing))).toBe('STATE_DICT_MISSING');
    expect(codeOf(() => m.loadStateDict({ ...dict, 'blocks.9.x': tf.zeros([1]) }))).toBe(
      'STATE_DICT_UNEXPECTED',
    );
    const wrong = tf.zeros([8, 8]);
    expect(codeOf(() => m.loadStateDict({ ...dict, 'blocks.0.attn.qkv.weight': wrong }))).toBe(
      'STATE_DICT_SHAPE',
    );
    try {
      m.loadStateDict({ ...dict, 'blocks.0.attn.qkv.weight': wrong });
    } catch (err) {
      expect((err as LabError).message).toContain('blocks.0.attn.qkv.weight');
      expect((err as LabError).context.expected).toEqual([8, 24]);
    }
    // Non-strict loading accepts a partial dict.
    m.loadStateDict(missing, { strict: false });
    m.dispose();
  });
});
