/**
 * Test helpers shared by core's tests (and importable by other packages' tests
 * through a relative path): per-backend suites, leak checks, closeness.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect } from 'vitest';
import { type BackendName, initBackend } from '../src/index.js';

/** Runs `fn` once per backend, like tfjs's describeWithFlags. */
export function describeBackends(
  name: string,
  fn: (backend: BackendName) => void,
  backends: BackendName[] = ['wasm', 'cpu'],
): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await initBackend({ prefer: backend });
      });
      fn(backend);
    });
  }
}

/** Asserts that `fn` leaves the live-tensor count unchanged. */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-5,
  rtol = 1e-4,
): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    // NaN compares false with everything, so it would slip past the error check: match it explicitly.
    if (Number.isNaN(actual[i]!) !== Number.isNaN(expected[i]!)) {
      expect.fail(`element ${i}: ${actual[i]} vs ${expected[i]} (NaN on one side only)`);
    }
    const err = Math.abs(actual[i]! - expected[i]!) - rtol * Math.abs(expected[i]!);
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  if (worst > atol) {
    expect.fail(`element ${at}: ${actual[at]} vs ${expected[at]} (excess error ${worst})`);
  }
}
