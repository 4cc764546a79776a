import { Rng } from '@lab/core';
import { describe, expect, it } from 'vitest';
import { buildDpoData, type JudgmentRecord, type Order, rejectionSample } from '../src/index.js';

function judgment(
  pair: string,
  order: Order,
  idx: number,
  verdict: 'A' | 'B' | 'tie' | null,
): JudgmentRecord {
  const gold = order === '0_1' ? 'A' : 'B';
  return {
    id: `${pair}:${order}:${idx}:it1`,
    pair_id: pair,
    iteration: 1,
    order,
    sample_idx: idx,
    prompt: `judge ${pair} ${order}`,
    judgment: `text ${pair} ${order} ${idx} [[${verdict ?? '?'}]]`,
    verdict,
    gold,
    correct: verdict === gold,
  };
}

function randomJudgments(seed: number, pairs: number, n: number): JudgmentRecord[] {
  const rng = new Rng(seed);
  const verdicts = ['A', 'B', 'tie', null] as const;
  const out: JudgmentRecord[] = [];
  for (let p = 0; p < pairs; p++) {
    for (const order of ['0_1', '1_0'] as const) {
      // Position bias: the judge says A more often, so gold-A inputs are more often usable.
      for (let k = 0; k < n; k++)
        out.push(judgment(`p${p}`, order, k, verdicts[rng.weightedIndex([5, 2, 1, 1])]!));
    }
  }
  return out;
}

describe('rejectionSample', () => {
  it('keeps one correct judgment per usable input, balanced A/B, on random inputs', () => {
    for (const seed of [1, 2, 3]) {
      const js = randomJudgments(seed, 40, 4);
      const { sft, stats } = rejectionSample(js, { seed });
      const byInput = new Map<string, JudgmentRecord[]>();
      for (const j of js)
        byInput.set(`${j.pair_id}:${j.order}`, [...(byInput.get(`${j.pair_id}:${j.order}`) ?? []), j]);
      const usable = [...byInput.values()].filter((g) => g.some((j) => j.correct));
      const usableA = usable.filter((g) => g[0]!.gold === 'A').length;
      const usableB = usable.length - usableA;
      expect(stats.usable).toBe(usable.length);
      expect(sft.length).toBe(2 * Math.min(usableA, usableB));
      expect(stats.keptGoldA).toBe(stats.keptGoldB);
      const keys = new Set(sft.map((r) => `${r.pair_id}:${r.order}`));
      expect(keys.size).toBe(sft.length);
      const byId = new Map(js.map((j) => [j.id, j]));
      for (const r of sft) {
        const src = byId.get(r.id)!;
        expect(src.correct).toBe(true);
        expect(r.completion).toBe(src.judgment);
        expect(r.prompt).toBe(src.prompt);
        expect(r.gold).toBe(src.gold);
      }
      expect(stats.sampleAccuracy).toBeCloseTo(js.filter((j) => j.correct).length / js.length, 12);
      expect(stats.unparsedRate).toBeCloseTo(js.filter((j) => j.verdict === null).length / js.length, 12);
    }
  });

  it('depends on the seed only, not on the order of the records', () => {
    const js = randomJudgments(5, 30, 4);
    const a = rejectionSample(js, { seed: 9 }).sft;
    const b = rejectionSample(new Rng(1).shuffle(js), { seed: 9 }).sft;
    expect(b).toEqual(a);
    const c = rejectionSample(js, { seed: 10 }).sft;
    expect(c.map((r) => r.id)).not.toEqual(a.map((r) => r.id));
  });

  it('applies the minimum correct fraction and can skip balancing', () => {
    const js = [
      judgment('x', '0_1', 0, 'A'),
      judgment('x', '0_1', 1, 'B'),
      judgment('x', '0_1', 2, 'B'),
      judgment('x', '0_1', 3, 'B'),
      judgment('y', '0_1', 0, 'A'),
      judgment('y', '0_1', 1, 'A'),
      judgment('y', '1_0', 0, 'A'),
    ];
    expect(rejectionSample(js, { balance: false }).sft.map((r) => r.pair_id)).toEqual(['x', 'y']);
    expect(
      rejectionSample(js, { balance: false, minCorrectFraction: 0.5 }).sft.map((r) => r.pair_id),
    ).toEqual(['y']);
    // Balanced: no gold-B input is usable, so nothing is kept.
    expect(rejectionSample(js).sft).toEqual([]);
  });
});

describe('buildDpoData', () => {
  it('pairs a correct with an incorrect judgment of the same input, balanced by input', () => {
    const js = randomJudgments(4, 40, 4);
    const { dpo, stats } = buildDpoData(js, { pairsPerInput: 3, seed: 2 });
    const byText = new Map(js.map((j) => [j.judgment, j]));
    expect(stats.keptGoldA).toBe(stats.keptGoldB);
    const perInput = new Map<string, number>();
    for (const r of dpo) {
      const c = byText.get(r.chosen)!;
      const rej = byText.get(r.rejected)!;
      expect(c.correct).toBe(true);
      expect(rej.correct).toBe(false);
      expect([c.pair_id, c.order]).toEqual([rej.pair_id, rej.order]);
      expect(r.prompt).toBe(c.prompt);
      perInput.set(`${r.pair_id}:${r.order}`, (perInput.get(`${r.pair_id}:${r.order}`) ?? 0) + 1);
    }
    for (const [key, count] of perInput) {
      const group = js.filter((j) => `${j.pair_id}:${j.order}` === key);
      const pos = group.filter((j) => j.correct).length;
      expect(count).toBe(Math.min(3, pos * (group.length - pos)));
    }
    expect(new Set(dpo.map((r) => `${r.chosen}|${r.rejected}`)).size).toBe(dpo.length);
  });

  it('hand example: unparsed, tie and wrong are all negatives', () => {
    const js = [
      judgment('p', '0_1', 0, 'A'),
      judgment('p', '0_1', 1, null),
      judgment('p', '1_0', 0, 'B'),
      judgment('p', '1_0', 1, 'tie'),
      judgment('q', '0_1', 0, 'B'),
      judgment('q', '1_0', 0, 'B'),
    ];
    const { dpo } = buildDpoData(js, { pairsPerInput: 5 });
    expect(dpo.map((r) => [r.pair_id, r.order, r.gold])).toEqual([
      ['p', '0_1', 'A'],
      ['p', '1_0', 'B'],
    ]);
    expect(dpo[0]!.rejected).toContain('[[?]]');
    expect(dpo[1]!.rejected).toContain('[[tie]]');
  });
});
