/**
 * Choosing a token from one row of (processed) logits, in JavaScript: the
 * logits are read back once per step anyway, and a row of a few thousand
 * floats costs microseconds here against a kernel launch on the backend.
 */
import { LabError } from '../errors.js';

/** Index of the largest logit (the first on ties). NaN is an error. */
export function argmaxRow(logits: Float32Array, offset: number, vocab: number): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) {
    const x = logits[offset + i]!;
    if (Number.isNaN(x)) throw new LabError('GENERATE_NAN_LOGITS', `logit ${i} is NaN`, { token: i });
    if (x > bestValue) {
      bestValue = x;
      best = i;
    }
  }
  if (best < 0)
    throw new LabError('GENERATE_NO_CANDIDATES', 'every token is forbidden (all logits are -Infinity)');
  return best;
}

/** Draws from softmax(logits) with `rand` (uniform in [0, 1)); -Infinity logits are never drawn. */
export function sampleRow(logits: Float32Array, offset: number, vocab: number, rand: () => number): number {
  const max = logits[offset + argmaxRow(logits, offset, vocab)]!;
  if (max === Number.POSITIVE_INFINITY) return argmaxRow(logits, offset, vocab);
  let total = 0;
  const weights = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) {
    const w = Math.exp(logits[offset + i]! - max);
    weights[i] = w;
    total += w;
  }
  let u = rand() * total;
  let last = -1;
  for (let i = 0; i < vocab; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    last = i;
    u -= w;
    if (u < 0) return i;
  }
  // Rounding left u a hair above zero: the last allowed token.
  return last;
}
