/**
 * The reversal plan: given n units (words, or token groups that hold whole
 * words) and a reversal, the ranges of units in output order. Text and token-id
 * reversal both apply the same plan, so they agree by construction.
 */
import { LabError, Rng } from '@lab/core';
import type { RandomContext, Reversal } from './reversal.js';
import type { Span } from './words.js';

/** Output order of unit ranges; `separatorAfter[i]` says whether a separator follows block i. */
export interface ReversalPlan {
  blocks: Array<[number, number]>;
  separatorAfter: boolean[];
}

/**
 * Checks that entity spans are sorted, disjoint, non-empty and inside [0, n).
 * Throws `ENTITY_SPANS_INVALID` naming the offending span.
 */
export function validateSpans(spans: readonly Span[], n: number, where = 'entities'): void {
  let prevEnd = 0;
  spans.forEach(([s, e], i) => {
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < prevEnd || e <= s || e > n) {
      throw new LabError(
        'ENTITY_SPANS_INVALID',
        `${where}[${i}] = [${s}, ${e}) must be a non-empty word range inside [0, ${n}), sorted and not overlapping the previous span (which ended at ${prevEnd})`,
        { field: `${where}[${i}]`, span: [s, e], units: n },
      );
    }
    prevEnd = e;
  });
}

/**
 * Plans a reversal of `n` units.
 *
 * @param entities unit spans for `entity` mode (sorted, disjoint)
 * @example
 * planReversal(4, { mode: 'entity' }, [[0, 2]]).blocks // [[3,4],[2,3],[0,2]]
 */
export function planReversal(
  n: number,
  reversal: Reversal,
  entities: readonly Span[] = [],
  random: RandomContext = {},
): ReversalPlan {
  const blocks: Array<[number, number]> = [];
  switch (reversal.mode) {
    case 'none':
      if (n > 0) blocks.push([0, n]);
      break;
    case 'token':
    case 'word':
      for (let i = n - 1; i >= 0; i--) blocks.push([i, i + 1]);
      break;
    case 'entity': {
      validateSpans(entities, n);
      const forward: Array<[number, number]> = [];
      let at = 0;
      for (const [s, e] of entities) {
        for (; at < s; at++) forward.push([at, at + 1]);
        forward.push([s, e]);
        at = e;
      }
      for (; at < n; at++) forward.push([at, at + 1]);
      blocks.push(...forward.reverse());
      break;
    }
    case 'segment': {
      const epoch = reversal.resample === 'fixed' ? 0 : (random.epoch ?? 0);
      // A function of (seed, doc id, epoch) only, so any sample can be regenerated alone.
      const rng = new Rng(random.seed ?? 0).fork(`segment:${random.docId ?? 0}`).fork(epoch);
      const forward: Array<[number, number]> = [];
      for (let at = 0; at < n; ) {
        const len = rng.intBetween(1, reversal.k);
        const end = Math.min(n, at + len);
        forward.push([at, end]);
        at = end;
      }
      blocks.push(...forward.reverse());
      break;
    }
  }
  const withSep = reversal.mode === 'segment' && reversal.separator !== undefined;
  return { blocks, separatorAfter: blocks.map((_, i) => withSep && i < blocks.length - 1) };
}

/**
 * Where spans over the input units land in the output. A span survives when its
 * units stay contiguous and in order (entity mode, or a segment that holds the
 * whole span); spans the plan cut apart are dropped.
 */
export function mapSpansThroughPlan(plan: ReversalPlan, spans: readonly Span[]): Array<[number, number]> {
  const posOf = new Map<number, number>();
  let pos = 0;
  plan.blocks.forEach(([s, e], i) => {
    for (let u = s; u < e; u++) posOf.set(u, pos++);
    if (plan.separatorAfter[i]) pos++;
  });
  const out: Array<[number, number]> = [];
  for (const [s, e] of spans) {
    const at = posOf.get(s);
    if (at === undefined) continue;
    let intact = true;
    for (let u = s; u < e && intact; u++) intact = posOf.get(u) === at + (u - s);
    if (intact) out.push([at, at + (e - s)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}
