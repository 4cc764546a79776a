// The demo's pipeline on a tiny budget (a handful of steps): both arms train
// and are scored, token accounting holds, and any example it reports is one the
// reverse-trained model got right and the standard model got wrong.
import { initBackend } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { reversalCurseDemo } from '../src/index.js';

describe('reversalCurseDemo', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
  });

  it('trains both arms and reports a consistent example', async () => {
    const demo = await reversalCurseDemo({ pairs: 12, epochs: 2, seed: 3 });
    expect(demo.reverseTrained.tokensSeen).toBe(2 * demo.standard.tokensSeen);
    expect(demo.standard.reverse.total).toBe(6);
    if (demo.example) {
      expect(demo.example.reverseTrained).toBe(demo.example.expected);
      expect(demo.example.standard).not.toBe(demo.example.expected);
    }
    expect(demo.seconds).toBeGreaterThan(0);
  });
});
