/**
 * Answer extraction and scoring shared by the methods: exact match, relaxed
 * numeric accuracy and majority vote (self-consistency). Pure functions.
 */
import { Rational } from './arith/rational.js';

/**
 * Pulls the final answer out of model output: the last "The answer is X",
 * else the last `#### X`, else (when `fallbackLastNumber`) the last number.
 *
 * @example
 * extractAnswer('so 3 * 4 = 12. The answer is 12.'); // '12'
 */
export function extractAnswer(text: string, opts: { fallbackLastNumber?: boolean } = {}): string | null {
  const marked = [...text.matchAll(/the answer is[:\s]*([^\n]*?)\s*(?:\.(?=\s|$)|\n|$)/gi)];
  if (marked.length > 0) return cleanAnswer(marked[marked.length - 1][1]);
  const hashes = [...text.matchAll(/####\s*([^\n]*)/g)];
  if (hashes.length > 0) return cleanAnswer(hashes[hashes.length - 1][1]);
  if (opts.fallbackLastNumber ?? true) {
    const nums = [...text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)];
    if (nums.length > 0) return cleanAnswer(nums[nums.length - 1][0]);
  }
  return null;
}

function cleanAnswer(s: string): string | null {
  const t = s
    .trim()
    .replace(/[.\s]+$/, '')
    .trim();
  return t.length > 0 ? t : null;
}

/** Lower-cased, trimmed, inner whitespace collapsed, trailing period and `$` removed, `1,250` → `1250`. */
export function normalizeAnswer(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.]+$/, '')
    .replace(/^\$\s*/, '')
    .replace(/(\d),(?=\d{3}(?!\d))/g, '$1')
    .trim();
}

/**
 * Reads a number from an answer string: `$1,250.50`, `-3`, `12%` (as 12),
 * `7 apples`, `3/4`. Exact; null when none is found.
 */
export function parseNumericAnswer(s: string | null | undefined): Rational | null {
  if (s == null) return null;
  const t = s.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  const frac = /(-?)(\d+)\s*\/\s*(\d+)/.exec(t);
  const num = /(-?)\$?\s*(\d*\.?\d+(?:[eE][+-]?\d+)?)/.exec(t);
  if (frac && (!num || frac.index <= num.index) && frac[3] !== '0') {
    const r = Rational.of(BigInt(frac[2]), BigInt(frac[3]));
    return frac[1] ? r.neg() : r;
  }
  if (!num) return null;
  const r = Rational.parse(num[2]);
  if (!r) return null;
  return num[1] ? r.neg() : r;
}

/** Normalised string equality. */
export function exactMatch(prediction: string | null | undefined, gold: string): boolean {
  return prediction != null && normalizeAnswer(prediction) === normalizeAnswer(gold);
}

/**
 * Relaxed numeric accuracy: both sides read as numbers and agree within
 * `relTol` (default 1e-6) relative or `absTol` (default 1e-9) absolute;
 * falls back to exact match when either side has no number.
 */
export function numericMatch(
  prediction: string | null | undefined,
  gold: string | number,
  opts: { relTol?: number; absTol?: number } = {},
): boolean {
  const g = typeof gold === 'number' ? Rational.fromNumber(gold) : parseNumericAnswer(gold);
  const p = parseNumericAnswer(prediction);
  if (!g || !p) return typeof gold === 'string' && exactMatch(prediction, gold);
  if (p.equals(g)) return true;
  const diff = Math.abs(p.sub(g).toNumber());
  const scale = Math.max(Math.abs(g.toNumber()), Math.abs(p.toNumber()));
  return diff <= (opts.absTol ?? 1e-9) || diff <= (opts.relTol ?? 1e-6) * scale;
}

/** Fraction of `predictions` that `match` their gold (0 on empty input). */
export function accuracy<P, G>(
  predictions: readonly P[],
  golds: readonly G[],
  match: (p: P, g: G) => boolean,
): number {
  if (predictions.length !== golds.length) {
    throw new RangeError(`accuracy: ${predictions.length} predictions for ${golds.length} golds`);
  }
  if (predictions.length === 0) return 0;
  let k = 0;
  for (let i = 0; i < predictions.length; i++) if (match(predictions[i], golds[i])) k++;
  return k / predictions.length;
}

/** Result of a vote: the winner (null when nothing parsed or `tieIsNull` and tied). */
export interface Vote {
  answer: string | null;
  votes: number;
  total: number;
  counts: Map<string, number>;
  tied: boolean;
}

/**
 * Majority vote over answers (nulls ignored), keyed by a normaliser (default:
 * the exact numeric value when there is one, else `normalizeAnswer`). Ties go
 * to the earliest answer unless `tieIsNull`.
 *
 * @example
 * majorityVote(['12', '12.0', '13']).answer; // '12'
 */
export function majorityVote(
  answers: readonly (string | null | undefined)[],
  opts: { key?: (a: string) => string; tieIsNull?: boolean } = {},
): Vote {
  const key =
    opts.key ??
    ((a: string) => {
      const n = parseNumericAnswer(a);
      return n && /^\s*[-$]?[\d,.]+\s*%?\s*$/.test(a) ? `#${n.toString()}` : normalizeAnswer(a);
    });
  const counts = new Map<string, number>();
  const first = new Map<string, string>();
  let total = 0;
  for (const a of answers) {
    if (a == null) continue;
    total++;
    const k = key(a);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (!first.has(k)) first.set(k, a);
  }
  let best: string | null = null;
  let bestN = 0;
  let tied = false;
  for (const [k, n] of counts) {
    if (n > bestN) {
      best = k;
      bestN = n;
      tied = false;
    } else if (n === bestN) tied = true;
  }
  const answer = best === null || (tied && opts.tieIsNull) ? null : first.get(best)!;
  return { answer, votes: bestN, total, counts, tied };
}
