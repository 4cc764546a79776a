import { resolve } from 'node:path';
import { generateArithmeticWorld, loadGsm8k, parseGsm8kJsonl } from '@lab/tasks';
import { describe, expect, it } from 'vitest';
import { ChainRecordSchema, chainsFromWordProblems, fromGsm8k, reify, rewriteGsm8k } from '../src/index.js';

const DATA = resolve(__dirname, '../../../../shared/data');
const line = (question: string, answer: string) => parseGsm8kJsonl(JSON.stringify({ question, answer }))[0];

describe('training chains', () => {
  it('verifies every templated chain by reification', async () => {
    const world = generateArithmeticWorld({
      seed: 2,
      sizes: { train: 100, id: 10, 'ood-numeric': 10, 'ood-long': 50 },
    });
    const recs = await chainsFromWordProblems([...world.train, ...world['ood-long']]);
    expect(recs.every((r) => r.verified && r.origin === 'template')).toBe(true);
    for (const r of recs) expect(() => ChainRecordSchema.parse(r)).not.toThrow();
    // a corrupted chain is caught
    const bad = await chainsFromWordProblems([
      { ...world.train[0], answerValue: world.train[0].answerValue + 1 },
    ]);
    expect(bad[0]).toMatchObject({ verified: false, drop_reason: 'answer-mismatch' });
  });

  it('rewrites GSM8K annotations mechanically', async () => {
    const rec = line(
      'q',
      'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether.\n#### 72',
    );
    const { record, reason } = await rewriteGsm8k(rec);
    expect(reason).toBeUndefined();
    expect(record.chain).toBe(
      'Natalia sold [48/2 = y1] clips in May.\nNatalia sold [48+y1 = y2] clips altogether.\nThe answer is y2.',
    );
    expect(record.values).toEqual({ y1: 24, y2: 72 });
    expect(record.reified).toContain('[48+24 = 72]');
  });

  it('drops what does not verify, with reasons', async () => {
    // the annotation claims 7 but 2*3 is 6: reification disagrees with the gold answer
    expect((await rewriteGsm8k(line('q', 'So 2*3 = <<2*3=7>>7 apples.\n#### 7'))).reason).toBe(
      'answer-mismatch',
    );
    expect((await rewriteGsm8k(line('q', 'It is 5.\n#### 5'))).reason).toBe('no-annotations');
    expect((await rewriteGsm8k(line('q', 'So 2*3 = <<2*3=6>>6, then 6 - 1 is 5.\n#### 5'))).reason).toBe(
      'no-answer-placeholder',
    );
    expect((await rewriteGsm8k(line('q', 'So <<foo(3)=6>>6.\n#### 6'))).reason).toBe('bad-annotation');
    // repeated values are flagged ambiguous, and verification still decides
    const amb = await rewriteGsm8k(
      line('q', 'a: 2+2 = <<2+2=4>>4; b: 1+3 = <<1+3=4>>4; c: 4*2 = <<4*2=8>>8\n#### 8'),
    );
    expect(amb.record).toMatchObject({ verified: true, ambiguous: true });
    expect(amb.record.chain).toContain('[y2*2 = y3]');
  });

  it('keeps at least 85% of the real GSM8K test set, every kept chain re-verifying', async () => {
    const recs = await loadGsm8k(`${DATA}/gsm8k/test.jsonl`);
    const { kept, dropped, stats } = await fromGsm8k(recs);
    expect(stats.total).toBe(1319);
    expect(stats.kept + dropped.length).toBe(1319);
    expect(stats.yield).toBeGreaterThanOrEqual(0.85);
    for (const r of kept.slice(0, 200)) {
      const again = await reify(r.chain, { parse: { allowPercent: true } });
      expect(Number(again.answerValue)).toBeCloseTo(Number(r.answer.replace(/,/g, '')), 9);
      expect(r.chain).not.toMatch(/<<|####/);
    }
  });
});
