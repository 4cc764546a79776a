import { describe, expect, it } from 'vitest';
import {
  accuracy,
  exactMatch,
  extractAnswer,
  majorityVote,
  normalizeAnswer,
  numericMatch,
  parseNumericAnswer,
} from '../src/index.js';

describe('metrics', () => {
  it('extracts the final answer by marker, then ####, then the last number', () => {
    expect(extractAnswer('3 * 4 = 12. The answer is 12.')).toBe('12');
    expect(extractAnswer('The answer is 3. Wait. The answer is 1,250.')).toBe('1,250');
    expect(extractAnswer('blah\n#### 72')).toBe('72');
    expect(extractAnswer('so we get -3.5 apples')).toBe('-3.5');
    expect(extractAnswer('no numbers here')).toBeNull();
    expect(extractAnswer('no marker 5', { fallbackLastNumber: false })).toBeNull();
  });

  it('normalises and matches exactly', () => {
    expect(normalizeAnswer('  $1,250. ')).toBe('1250');
    expect(exactMatch('Paris.', 'paris')).toBe(true);
    expect(exactMatch('12', '12.0')).toBe(false);
    expect(exactMatch(null, '1')).toBe(false);
  });

  it('matches numbers with tolerance', () => {
    expect(parseNumericAnswer('$1,250.50')?.toString()).toBe('1250.5');
    expect(parseNumericAnswer('3/4 cup')?.toString()).toBe('0.75');
    expect(parseNumericAnswer('-7 apples')?.toString()).toBe('-7');
    expect(numericMatch('12.0', '12')).toBe(true);
    expect(numericMatch('12', 12)).toBe(true);
    expect(numericMatch('0.3333333333', '1/3')).toBe(true);
    expect(numericMatch('0.33', '1/3')).toBe(false);
    expect(numericMatch('0.33', '1/3', { relTol: 0.02 })).toBe(true);
    expect(numericMatch('yes', 'Yes')).toBe(true);
    expect(numericMatch(null, '3')).toBe(false);
    expect(accuracy(['1', '2', 'x'], ['1', '3', 'x'], exactMatch)).toBeCloseTo(2 / 3);
    expect(() => accuracy(['1'], [], exactMatch)).toThrow(RangeError);
  });

  it('votes by value, with ties to the first or to null', () => {
    const v = majorityVote(['12', '12.0', '13', null, '1,2']);
    expect(v.answer).toBe('12');
    expect(v.votes).toBe(2);
    expect(v.total).toBe(4);
    expect(majorityVote(['a', 'b']).answer).toBe('a');
    expect(majorityVote(['a', 'b'], { tieIsNull: true }).answer).toBeNull();
    expect(majorityVote([null, undefined]).answer).toBeNull();
    expect(majorityVote(['1,250', '1250', '125']).answer).toBe('1,250');
  });
});
