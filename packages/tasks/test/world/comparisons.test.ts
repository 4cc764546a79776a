import { describe, expect, it } from 'vitest';
import { exactMatch, extractAnswer, generateComparisonProblems } from '../../src/index.js';

describe('yes/no comparison template', () => {
  const cs = generateComparisonProblems({ n: 200, seed: 4 });

  it('answers agree with the two underlying chains and the CoT', () => {
    for (const c of cs) {
      expect(c.answer).toBe(c.first.answerValue > c.second.answerValue ? 'yes' : 'no');
      expect(exactMatch(extractAnswer(c.cot), c.answer)).toBe(true);
      expect(c.question).toMatch(/Does \w+ have more \w+ than \w+ now\?$/);
      expect(c.question.includes(String(c.first.steps[0].left))).toBe(true);
    }
  });

  it('is balanced, seeded and distinct', () => {
    const yes = cs.filter((c) => c.answer === 'yes').length;
    expect(yes).toBe(100);
    expect(generateComparisonProblems({ n: 10, seed: 4 })).toEqual(
      generateComparisonProblems({ n: 10, seed: 4 }),
    );
    expect(new Set(cs.map((c) => c.question)).size).toBe(cs.length);
  });

  it('keeps yes and no within one of each other for small and odd n', () => {
    for (const n of [1, 5, 20]) {
      for (const seed of [0, 1, 2, 3]) {
        const list = generateComparisonProblems({ n, seed });
        expect(list).toHaveLength(n);
        const yes = list.filter((c) => c.answer === 'yes').length;
        expect(Math.abs(yes - (n - yes))).toBeLessThanOrEqual(1);
        for (const c of list) {
          expect(c.answer).toBe(c.first.answerValue > c.second.answerValue ? 'yes' : 'no');
          expect(c.first.question.split(' ')[0]).not.toBe(c.second.question.split(' ')[0]);
        }
      }
    }
  });

  it('runs the documented example (n: 1, seed: 2)', () => {
    const [c] = generateComparisonProblems({ n: 1, seed: 2 });
    expect(c.question).toMatch(/^Max has 273 coins\..* Does Max have more coins than Sam now\?$/);
    expect(c.cotSteps.at(-1)).toBe('The answer is yes.');
  });
});
