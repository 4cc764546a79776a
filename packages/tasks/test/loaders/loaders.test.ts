import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  loadGsm8k,
  loadSvamp,
  parseGsm8kAnswer,
  parseGsm8kJsonl,
  parseSvampJson,
} from '../../src/index.js';

// The MIT copies in ../shared/data, read in place (never copied into the repo).
const DATA = resolve(__dirname, '../../../../../shared/data');

describe('GSM8K loader', () => {
  it('loads the real test and train files', async () => {
    const test = await loadGsm8k(`${DATA}/gsm8k/test.jsonl`);
    const train = await loadGsm8k(`${DATA}/gsm8k/train.jsonl`);
    expect(test.length).toBe(1319);
    expect(train.length).toBe(7473);
    const first = train[0];
    expect(first.question).toMatch(/^Natalia sold clips/);
    expect(first.final).toBe('72');
    expect(first.finalValue).toBe(72);
    expect(first.annotations.map((a) => [a.expr, a.result])).toEqual([
      ['48/2', '24'],
      ['48+24', '72'],
    ]);
    expect(first.id).toBe('train.jsonl:1');
    expect(train.every((r) => r.finalValue !== null)).toBe(true);
    // most annotations evaluate to their stated result with the safe evaluator
    let ok = 0;
    let total = 0;
    for (const r of test) {
      for (const a of r.annotations) {
        total++;
        const v = evaluateExpression(a.expr, new Map(), { allowPercent: true });
        const want = Number(a.result.replace(/,/g, ''));
        if (v.ok && Math.abs(v.value.toNumber() - want) < 1e-6 * Math.max(1, Math.abs(want))) ok++;
      }
    }
    expect(total).toBeGreaterThan(3000);
    expect(ok / total).toBeGreaterThan(0.95);
  });

  it('names file and line in errors', () => {
    const good = JSON.stringify({ question: 'q', answer: 'a\n#### 1' });
    expect(() => parseGsm8kJsonl(`${good}\n{oops`, 'x.jsonl')).toThrow(/x\.jsonl:2: invalid JSON/);
    expect(() => parseGsm8kJsonl(`${good}\n${JSON.stringify({ question: 1 })}`, 'x.jsonl')).toThrow(
      /x\.jsonl:2/,
    );
    expect(() => parseGsm8kJsonl(JSON.stringify({ question: 'q', answer: 'no final' }), 'y.jsonl')).toThrow(
      /y\.jsonl:1: answer has no "####/,
    );
    expect(parseGsm8kAnswer('so 1,000 + 200 = <<1000+200=1200>>1,200\n#### 1,200')?.finalValue).toBe(1200);
  });

  it('reports a missing file by path', async () => {
    await expect(loadGsm8k('/nonexistent/gsm8k.jsonl')).rejects.toMatchObject({
      code: 'DATA_READ',
      context: { file: '/nonexistent/gsm8k.jsonl' },
    });
  });
});

describe('SVAMP loader', () => {
  it('loads the real file and its equations agree with the answers', async () => {
    const svamp = await loadSvamp(`${DATA}/svamp/SVAMP.json`);
    expect(svamp.length).toBe(1000);
    expect(svamp[0]).toMatchObject({
      id: 'chal-1',
      answer: 51,
      equation: '( 76.0 - 25.0 )',
      type: 'Subtraction',
    });
    expect(svamp[0].question).toBe(
      'Each pack of dvds costs 76 dollars. If there is a discount of 25 dollars on each pack. How much do you have to pay to buy each pack?',
    );
    const disagree: string[] = [];
    for (const r of svamp) {
      const v = evaluateExpression(r.equation);
      if (!(v.ok && Math.abs(v.value.toNumber() - r.answer) < 1e-6 * Math.max(1, Math.abs(r.answer))))
        disagree.push(r.id);
    }
    // one published record is wrong: ( ( 4.0 - 2.0 ) + 3.0 ) with Answer 1.0
    expect(disagree).toEqual(['chal-680']);
  });

  it('names file and record in errors', () => {
    expect(() => parseSvampJson('{', 's.json')).toThrow(/s\.json: invalid JSON/);
    expect(() => parseSvampJson('{}', 's.json')).toThrow(/expected a JSON array/);
    expect(() => parseSvampJson('[{"Body": 1}]', 's.json')).toThrow(/s\.json: record 0/);
  });
});
