/**
 * From sampled judgments to training data (spec §2.4, §2.6), as pure
 * functions of the judgment records and a seed:
 *   - rejectionSample: per prompted input (a pair in one order), keep one
 *     random judgment whose verdict matches the gold order, then truncate so
 *     gold-A and gold-B inputs are equally many (the judge must not learn to
 *     favour a slot);
 *   - buildDpoData: per input, correct judgments against unparsed, tie or
 *     wrong ones, balanced the same way.
 */
import { Rng } from '@lab/core';
import type { DpoRecord, JudgmentRecord, SftRecord } from './records.js';

export interface RejectionOptions {
  /** Drop inputs whose correct fraction is below this (0 keeps any input with one correct sample). */
  minCorrectFraction?: number;
  /** Balance gold-A and gold-B counts (default true). */
  balance?: boolean;
  seed?: number;
}

export interface SelectionStats {
  /** Prompted inputs (pair × order) seen. */
  inputs: number;
  /** Inputs with at least one usable sample (before balancing). */
  usable: number;
  /** Inputs kept after balancing. */
  kept: number;
  keptGoldA: number;
  keptGoldB: number;
  /** Samples whose verdict matched gold / all samples. */
  sampleAccuracy: number;
  /** Samples without a parsable verdict / all samples. */
  unparsedRate: number;
}

function groupByInput(judgments: readonly JudgmentRecord[]): Map<string, JudgmentRecord[]> {
  const groups = new Map<string, JudgmentRecord[]>();
  for (const j of judgments) {
    const key = `${j.pair_id}:${j.order}:it${j.iteration}`;
    const g = groups.get(key);
    if (g) g.push(j);
    else groups.set(key, [j]);
  }
  // Sample order inside a group must not depend on the order of the file.
  for (const g of groups.values()) g.sort((a, b) => a.sample_idx - b.sample_idx);
  return groups;
}

function sampleStats(judgments: readonly JudgmentRecord[]) {
  const n = Math.max(judgments.length, 1);
  return {
    sampleAccuracy: judgments.filter((j) => j.correct).length / n,
    unparsedRate: judgments.filter((j) => j.verdict === null).length / n,
  };
}

/**
 * Truncates the larger gold side at random so both sides are equally many.
 * Items are in a stable order first (by key), so the result depends only on the seed.
 */
export function balanceByGold<T extends { gold: 'A' | 'B' }>(
  items: readonly T[],
  key: (t: T) => string,
  seed: number,
): T[] {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const a = sorted.filter((t) => t.gold === 'A');
  const b = sorted.filter((t) => t.gold === 'B');
  const m = Math.min(a.length, b.length);
  const rng = new Rng(seed).fork('balance');
  const keep = new Set([...rng.sample(a, m), ...rng.sample(b, m)]);
  return sorted.filter((t) => keep.has(t));
}

/**
 * Rejection sampling: one correct judgment per prompted input, A/B balanced.
 *
 * @example
 * ```ts
 * const { sft, stats } = rejectionSample(judgments, { seed: 1 });
 * ```
 */
export function rejectionSample(
  judgments: readonly JudgmentRecord[],
  options: RejectionOptions = {},
): { sft: SftRecord[]; stats: SelectionStats } {
  const seed = options.seed ?? 0;
  const minFraction = options.minCorrectFraction ?? 0;
  const groups = groupByInput(judgments);
  const picked: SftRecord[] = [];
  for (const [key, group] of groups) {
    const correct = group.filter((j) => j.correct);
    if (correct.length === 0 || correct.length / group.length < minFraction) continue;
    // A per-input stream: the pick for one input never depends on which other inputs exist.
    const j = new Rng(seed).fork(key).choice(correct);
    picked.push({
      prompt: j.prompt,
      completion: j.judgment,
      id: j.id,
      pair_id: j.pair_id,
      order: j.order,
      gold: j.gold,
    });
  }
  const kept = options.balance === false ? picked : balanceByGold(picked, (r) => r.id, seed);
  return {
    sft: kept,
    stats: {
      inputs: groups.size,
      usable: picked.length,
      kept: kept.length,
      keptGoldA: kept.filter((r) => r.gold === 'A').length,
      keptGoldB: kept.filter((r) => r.gold === 'B').length,
      ...sampleStats(judgments),
    },
  };
}

export interface DpoDataOptions {
  /** Pairs kept per input from the shuffled positive × negative product (the repo's `numPairs`). Default 1. */
  pairsPerInput?: number;
  balance?: boolean;
  seed?: number;
}

/**
 * DPO data: chosen = a judgment with the gold verdict, rejected = one that is
 * unparsed, a tie or wrong; inputs need both; A/B balanced by input.
 *
 * @example
 * ```ts
 * const { dpo } = buildDpoData(judgments, { pairsPerInput: 2, seed: 1 });
 * ```
 */
export function buildDpoData(
  judgments: readonly JudgmentRecord[],
  options: DpoDataOptions = {},
): { dpo: DpoRecord[]; stats: SelectionStats } {
  const seed = options.seed ?? 0;
  const per = options.pairsPerInput ?? 1;
  const groups = groupByInput(judgments);
  const byInput: { key: string; gold: 'A' | 'B'; records: DpoRecord[] }[] = [];
  for (const [key, group] of groups) {
    const pos = group.filter((j) => j.correct);
    const neg = group.filter((j) => !j.correct);
    if (pos.length === 0 || neg.length === 0) continue;
    const product = pos.flatMap((p) => neg.map((q) => [p, q] as const));
    const chosen = new Rng(seed).fork(key).shuffle(product).slice(0, per);
    byInput.push({
      key,
      gold: group[0]!.gold,
      records: chosen.map(([p, q]) => ({
        prompt: p.prompt,
        chosen: p.judgment,
        rejected: q.judgment,
        id: `${p.id}>${q.sample_idx}`,
        pair_id: p.pair_id,
        order: p.order,
        gold: p.gold,
      })),
    });
  }
  const kept = options.balance === false ? byInput : balanceByGold(byInput, (g) => g.key, seed);
  const dpo = kept.flatMap((g) => g.records);
  return {
    dpo,
    stats: {
      inputs: groups.size,
      usable: byInput.length,
      kept: kept.length,
      keptGoldA: kept.filter((g) => g.gold === 'A').length,
      keptGoldB: kept.filter((g) => g.gold === 'B').length,
      ...sampleStats(judgments),
    },
  };
}
