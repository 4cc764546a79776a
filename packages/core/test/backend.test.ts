import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, LabError } from '../src/index.js';

describe('initBackend', () => {
  it('falls back past uninstalled tfjs-node to wasm and reports why', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(info.simd).toBe(true);
    expect(info.simdKernels).toBe(true);
    expect(typeof info.accelerator.reason).toBe('string');
  });

  it('honours a preference and switches backend', async () => {
    const info = await initBackend({ prefer: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.accelerator.enabled).toBe(false);
  });

  it('rejects an unknown backend name with a stable code', async () => {
    await expect(initBackend({ prefer: 'gpu' as never })).rejects.toMatchObject({ code: 'BACKEND_UNKNOWN' });
    await expect(initBackend({ prefer: 'gpu' as never })).rejects.toBeInstanceOf(LabError);
  });

  it('registers gradient functions', async () => {
    await initBackend({ prefer: 'wasm' });
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(await g.data())).toEqual([2, 4, 6]);
  });
});
