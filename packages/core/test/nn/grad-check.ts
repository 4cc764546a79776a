/**
 * Numerical gradient checks for small modules: central differences of a
 * scalar loss with respect to each parameter (float32, so eps is large and
 * tolerances loose), compared with tf.variableGrads.
 */
import { expect } from 'vitest';
import { tf } from '../../src/index.js';

export function checkGradients(
  loss: () => tf.Scalar,
  variables: tf.Variable[],
  { eps = 1e-2, tol = 2e-2, maxPerVariable = 6 } = {},
): void {
  const { value, grads } = tf.variableGrads(loss, variables);
  value.dispose();
  for (const v of variables) {
    const analytic = grads[v.name]!.dataSync();
    const base = v.dataSync().slice();
    const step = Math.max(1, Math.floor(base.length / maxPerVariable));
    for (let i = 0; i < base.length; i += step) {
      const probe = (delta: number) => {
        const copy = base.slice();
        copy[i] = base[i]! + delta;
        v.assign(tf.tensor(copy, v.shape));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const numeric = (probe(eps) - probe(-eps)) / (2 * eps);
      const scale = Math.max(1, Math.abs(numeric));
      expect(
        Math.abs(analytic[i]! - numeric) / scale,
        `${v.name}[${i}]: ${analytic[i]} vs ${numeric}`,
      ).toBeLessThan(tol);
    }
    v.assign(tf.tensor(base, v.shape));
  }
  tf.dispose(grads);
}

/** Deterministic pseudo-random numbers in [-1, 1). */
export function randomArray(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s / 0x100000000) * 2 - 1;
  });
}
