import { describe, expect, it } from 'vitest';
import { constantSchedule, warmupCosineSchedule } from '../../src/index.js';

describe('learning-rate schedules', () => {
  it('warmup + cosine follows the formula', () => {
    const peak = 1e-3;
    const min = 1e-4;
    const lr = warmupCosineSchedule({ peakLr: peak, warmupSteps: 10, totalSteps: 110, minLr: min });
    for (let s = 0; s < 10; s++) expect(lr(s)).toBeCloseTo((peak * (s + 1)) / 10, 12);
    for (let s = 10; s <= 110; s++) {
      const expected = min + 0.5 * (peak - min) * (1 + Math.cos((Math.PI * (s - 10)) / 100));
      expect(lr(s)).toBeCloseTo(expected, 12);
    }
    expect(lr(10)).toBeCloseTo(peak, 12);
    expect(lr(60)).toBeCloseTo((peak + min) / 2, 12);
    expect(lr(500)).toBe(min);
    // Monotone: up during warmup, down after.
    for (let s = 1; s < 10; s++) expect(lr(s)).toBeGreaterThan(lr(s - 1));
    for (let s = 11; s < 120; s++) expect(lr(s)).toBeLessThanOrEqual(lr(s - 1));
  });

  it('defaults minLr to a tenth of the peak and rejects bad configs', () => {
    const lr = warmupCosineSchedule({ peakLr: 2, totalSteps: 4 });
    expect(lr(0)).toBe(2);
    expect(lr(4)).toBeCloseTo(0.2, 12);
    expect(() => warmupCosineSchedule({ peakLr: 1, minLr: 2, totalSteps: 5 })).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_CONFIG' }),
    );
    expect(() => warmupCosineSchedule({ peakLr: 1, warmupSteps: 9, totalSteps: 5 })).toThrow();
    expect(() => warmupCosineSchedule({ peakLr: 1, totalSteps: 5, extra: 1 } as never)).toThrow();
  });

  it('constant with warmup', () => {
    const lr = constantSchedule(0.5, 4);
    expect([0, 1, 2, 3, 4, 100].map(lr)).toEqual([0.125, 0.25, 0.375, 0.5, 0.5, 0.5]);
    expect(() => constantSchedule(0)).toThrow(expect.objectContaining({ code: 'SCHEDULE_CONFIG' }));
  });
});
