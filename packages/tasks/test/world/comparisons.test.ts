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
    expect(yes).toBeGreaterThan(70);
    expect(yes).toBeLessThan(130);
    expect(generateComparisonProblems({ n: 10, seed: 4 })).toEqual(
      generateComparisonProblems({ n: 10, seed: 4 }),
    );
    expect(new Set(cs.map((c) => c.question)).size).toBe(cs.length);
  });
});
