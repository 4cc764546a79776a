import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LMJudge, ScriptedModel } from '@lab/lm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EvalOutput,
  evaluateJudge,
  readRewardBench,
  scoreEvalOutputs,
  scoreVerdict,
  sectionedScore,
} from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judge-loop-eval-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// What the scripted judge answers for each (responseA, responseB) it is shown.
// Item behaviour in (winner-first, winner-second) order:
//   1 hep-go: right, right · 2 hep-go: always "A" · 3 math-prm: unparsed, then wrong
//   4 alpacaeval-easy: tie, tie · 5 alpacaeval-hard: wrong, wrong · 6 custom-x: right, then "A"
const ANSWERS: Record<string, string> = {
  'c1|r1': '[[A]]',
  'r1|c1': '[[B]]',
  'c2|r2': '[[A]]',
  'r2|c2': '[[A]]',
  'c3|r3': 'no verdict',
  'r3|c3': '[[A]]',
  'c4|r4': '[[C]]',
  'r4|c4': '[[C]]',
  'c5|r5': '[[B]]',
  'r5|c5': '[[A]]',
  'c6|r6': '[[A]]',
  'r6|c6': '[[A]]',
};
const SUBSETS = ['hep-go', 'hep-go', 'math-prm', 'alpacaeval-easy', 'alpacaeval-hard', 'custom-x'];

function scriptedJudge() {
  const model = new ScriptedModel({ rule: (r) => ANSWERS[r.prompt!] ?? 'unknown' });
  return {
    model,
    judge: new LMJudge(model, { bothOrders: false }, { pairwise: (x) => `${x.responseA}|${x.responseB}` }),
  };
}

async function writeRecords(): Promise<string> {
  // RewardBench's own layout: integer ids, extra model fields.
  const lines = SUBSETS.map((subset, i) =>
    JSON.stringify({
      prompt: `question ${i + 1}`,
      chosen: `c${i + 1}`,
      chosen_model: 'gpt-4',
      rejected: `r${i + 1}`,
      rejected_model: 'llama',
      subset,
      id: i + 1,
    }),
  );
  const path = join(dir, 'filtered.jsonl');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

describe('RewardBench-style evaluation', () => {
  it('scores 1 / 0 / 0.5', () => {
    expect(scoreVerdict('A', 'A')).toBe(1);
    expect(scoreVerdict('B', 'A')).toBe(0);
    expect(scoreVerdict(null, 'B')).toBe(0.5);
    expect(scoreVerdict('tie', 'B')).toBe(0.5);
  });

  it('reads RewardBench records and matches hand-computed section-weighted scores', async () => {
    const records = await readRewardBench(await writeRecords());
    expect(records[0]!.id).toBe('1');
    const { judge } = scriptedJudge();
    const { outputs, report } = await evaluateJudge(judge, records, { batchSize: 4 });
    expect(outputs).toHaveLength(12);

    const w = 984 / 447; // math-prm's weight multiplier
    // Both-order means per item: 1, 0.5, 0.25, 0.5, 0, 0.5.
    const reasoning = (2 * 0.75 + 0.25 * w) / (2 + w);
    expect(report.meanBothOrders.subsets).toEqual({
      'hep-go': 0.75,
      'math-prm': 0.25,
      'alpacaeval-easy': 0.5,
      'alpacaeval-hard': 0,
      'custom-x': 0.5,
    });
    expect(report.meanBothOrders.sections.Reasoning).toBeCloseTo(reasoning, 12);
    expect(report.meanBothOrders.sections.Chat).toBeCloseTo(0.25, 12);
    expect(report.meanBothOrders.sections['custom-x']).toBeCloseTo(0.5, 12);
    expect(report.meanBothOrders.overall).toBeCloseTo((reasoning + 0.25 + 0.5) / 3, 12);

    // Winner first: 1, 1, 0.5, 0.5, 0, 1. Winner second: 1, 0, 0, 0.5, 0, 0.
    const first = ((2 + 0.5 * w) / (2 + w) + 0.25 + 1) / 3;
    const second = (1 / (2 + w) + 0.25 + 0) / 3;
    expect(report.winnerFirst.overall).toBeCloseTo(first, 12);
    expect(report.winnerSecond.overall).toBeCloseTo(second, 12);
    expect(report.positionGap).toBeCloseTo(second - first, 12);
    // Right in both orders: only item 1.
    expect(report.rightInBoth.overall).toBeCloseTo((1 / (2 + w) + 0 + 0) / 3, 12);
    expect(report.unparsedRate).toBeCloseTo(1 / 12, 12);
    expect(report.tieRate).toBeCloseTo(2 / 12, 12);
    expect(report.items).toBe(6);
  });

  it('resumes from its stage file: a rerun asks the judge nothing new', async () => {
    const records = await readRewardBench(await writeRecords());
    const a = scriptedJudge();
    const runDir = join(dir, 'run');
    const first = await evaluateJudge(a.judge, records, { batchSize: 4, runDir });
    const calls = a.model.calls.length;
    expect(calls).toBe(12);
    const b = scriptedJudge();
    const second = await evaluateJudge(b.judge, records, { batchSize: 4, runDir });
    expect(b.model.calls.length).toBe(0);
    expect(second.report).toEqual(first.report);
    expect((await readFile(join(runDir, 'eval.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('fixed order picks one order per item, about half each way', () => {
    const outputs: EvalOutput[] = [];
    for (let i = 0; i < 400; i++) {
      outputs.push({ id: `x${i}`, subset: 's', order: '0_1', verdict: 'A', score: 1 });
      outputs.push({ id: `x${i}`, subset: 's', order: '1_0', verdict: 'A', score: 0 });
    }
    const r = scoreEvalOutputs(outputs, { sections: {} });
    expect(r.meanBothOrders.overall).toBe(0.5);
    expect(r.positionGap).toBe(-1);
    expect(r.fixedOrder.overall).toBeGreaterThan(0.4);
    expect(r.fixedOrder.overall).toBeLessThan(0.6);
    expect(scoreEvalOutputs(outputs, { sections: {}, fixedOrderSeed: 1 }).fixedOrder.overall).not.toBe(
      r.fixedOrder.overall,
    );
  });

  it('weights subsets by size within a section', () => {
    const items = [
      ...Array.from({ length: 3 }, () => ({ subset: 'a', value: 1 })),
      { subset: 'b', value: 0 },
      { subset: 'c', value: 0.5 },
    ];
    const s = sectionedScore(items, { sections: { S: ['a', 'b'], T: ['c'] }, weightScale: { b: 3 } });
    expect(s.sections.S).toBeCloseTo(3 / 6, 12); // a: 3 items, b: 1 item counted 3 times
    expect(s.sections.T).toBe(0.5);
    expect(s.overall).toBeCloseTo(0.5, 12);
  });
});
