import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPairs,
  checkSolution,
  distinctQuestions,
  heldOutPairs,
  isCorrect,
  labelIsRight,
  modifyQuestion,
  parseJudgmentVerdict,
  parseQuestion,
  randomQuestion,
  seedCorpus,
  slipSolution,
  solve,
  TINY_CHARSET,
  TinyGenerator,
  tinyResponseTemplate,
  tinyTokenizer,
  tinyWorseTemplate,
  trueJudgment,
} from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judge-loop-tiny-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tiny world checks', () => {
  const q = parseQuestion('7+5-3')!;
  it('checks each step against the question, hand cases', () => {
    expect(checkSolution(q, '7+5=12;12-3=9')).toEqual(['ok', 'ok']);
    expect(checkSolution(q, '6+5=11;11-3=8')).toEqual(['6!7', 'ok']);
    expect(checkSolution(q, '7+6=13;13-3=10')).toEqual(['6!5', 'ok']);
    expect(checkSolution(q, '7+5=13;13-3=10')).toEqual(['bad', 'ok']);
    expect(checkSolution(q, '7+5=12;12-3=8')).toEqual(['ok', 'bad']);
    expect(checkSolution(q, '7+5=12;11-3=8')).toEqual(['ok', '11!12']);
    expect(checkSolution(q, '7-5=2;2-3=-1')).toEqual(['bad', 'ok']);
    expect(checkSolution(q, 'nonsense')).toEqual(['bad', 'bad']);
    expect(checkSolution(q, '7+5=12;12-3=9;9+1=10')).toEqual(['ok', 'ok', 'bad']);
    expect(trueJudgment(q, '7+5=12;12-3=9', '6+5=11;11-3=8')).toBe('A:ok,ok;B:6!7,ok;[[A]]');
    expect(trueJudgment(q, '7+5=13;13-3=10', '6+5=11;11-3=8')).toBe('A:bad,ok;B:6!7,ok;[[C]]');
    expect(parseJudgmentVerdict(trueJudgment(q, '6+5=11;11-3=8', '7+5=12;12-3=9'))).toBe('B');
    expect(parseQuestion('7*5-3')).toBeNull();
  });

  it('solutions, slips and modified questions behave on random questions', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) {
      const x = randomQuestion(rng);
      expect(isCorrect(x, solve(x, rng, 0))).toBe(true);
      const slipped = checkSolution(x, slipSolution(x, rng));
      expect(slipped.filter((c) => c === 'bad')).toHaveLength(1);
      expect(slipped.filter((c) => c === 'ok')).toHaveLength(1);
      const m = modifyQuestion(x, rng);
      expect(m.operands.filter((d, k) => d !== x.operands[k])).toHaveLength(1);
      expect(isCorrect(x, solve(m, rng, 0))).toBe(false);
    }
  });

  it('the tokenizer covers every character the world writes', () => {
    const tok = tinyTokenizer();
    const corpus = seedCorpus({ solutions: 50, transcripts: 50, seed: 2 });
    for (const e of corpus) {
      const text = `${e.prompt}${e.completion}`;
      expect(tok.decode(tok.encode(text))).toBe(text);
      for (const ch of text) expect(TINY_CHARSET).toContain(ch);
    }
  });

  it('seed transcripts are noisy but mostly agree with the truth', () => {
    const corpus = seedCorpus({ solutions: 0, transcripts: 2000, seed: 4 });
    let agree = 0;
    for (const e of corpus) {
      const m = /^Q:(.*)\nA:(.*)\nB:(.*)\nJ:$/.exec(e.prompt as string)!;
      const truth = trueJudgment(parseQuestion(m[1]!)!, m[2]!, m[3]!);
      if (parseJudgmentVerdict(truth) === parseJudgmentVerdict(e.completion as string)) agree++;
    }
    // 25% contradicting verdicts and 20% transcripts with a flipped check: agreement well below 1, above 0.5.
    expect(agree / corpus.length).toBeGreaterThan(0.55);
    expect(agree / corpus.length).toBeLessThan(0.8);
  });
});

describe('TinyGenerator through buildPairs', () => {
  it('builds pairs whose synthetic label is right about 0.85² of the time', async () => {
    const questions = distinctQuestions(300, new Rng(5));
    const generator = new TinyGenerator({ stepError: 0.15, seed: 1 });
    const { pairs, dropped } = await buildPairs({
      runDir: dir,
      instructions: questions.map((q, i) => ({ id: `q${i}`, prompt: q })),
      generator,
      templates: { response: tinyResponseTemplate, worseResponse: tinyWorseTemplate },
      progress: false,
    });
    expect(dropped).toEqual([]);
    expect(pairs).toHaveLength(300);
    for (const p of pairs) {
      const q = parseQuestion(p.prompt)!;
      expect(isCorrect(q, p.rejected)).toBe(false);
      expect(parseQuestion(p.modified_prompt)).not.toBeNull();
      expect(labelIsRight(p)).toBe(isCorrect(q, p.chosen));
      expect(p.generator).toBe('tiny-noisy-solver');
    }
    const right = pairs.filter(labelIsRight).length / pairs.length;
    expect(right).toBeGreaterThan(0.62);
    expect(right).toBeLessThan(0.82);
  });

  it('held-out pairs: chosen correct, rejected wrong, in both splits', () => {
    const questions = distinctQuestions(50, new Rng(6));
    for (const split of ['in-distribution', 'shifted'] as const) {
      for (const r of heldOutPairs(questions, split, 1)) {
        const q = parseQuestion(r.prompt)!;
        expect(isCorrect(q, r.chosen)).toBe(true);
        expect(isCorrect(q, r.rejected)).toBe(false);
        expect(r.subset).toBe(split);
      }
    }
    const exclude = new Set(questions);
    expect(distinctQuestions(100, new Rng(7), exclude).some((q) => exclude.has(q))).toBe(false);
  });
});
