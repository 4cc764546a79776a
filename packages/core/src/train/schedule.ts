/**
 * Learning-rate schedules: plain functions from the optimizer step (the number
 * of updates already applied, 0 for the first) to a learning rate, so any
 * function of that shape plugs into AdamW and train().
 */
import { z } from 'zod';
import { LabError } from '../errors.js';

/** Maps the step (updates already applied, from 0) to a learning rate. */
export type LearningRateSchedule = (step: number) => number;

export const WarmupCosineConfigSchema = z.strictObject({
  /** Learning rate at the end of warmup. */
  peakLr: z.number().positive(),
  /** Steps of linear warmup: step s < warmupSteps gets peakLr * (s + 1) / warmupSteps. */
  warmupSteps: z.number().int().nonnegative().default(0),
  /** The step at which the cosine reaches minLr; later steps stay at minLr. */
  totalSteps: z.number().int().positive(),
  /** Floor of the cosine. Default 0.1 x peakLr is set when omitted. */
  minLr: z.number().nonnegative().optional(),
});
export type WarmupCosineConfig = z.infer<typeof WarmupCosineConfigSchema>;

/**
 * Linear warmup to `peakLr`, then a half cosine down to `minLr` at `totalSteps`.
 *
 * @example
 * const lr = warmupCosineSchedule({ peakLr: 1e-3, warmupSteps: 100, totalSteps: 2000 });
 * lr(0); // 1e-5
 */
export function warmupCosineSchedule(config: z.input<typeof WarmupCosineConfigSchema>): LearningRateSchedule {
  const c = WarmupCosineConfigSchema.parse(config);
  const minLr = c.minLr ?? 0.1 * c.peakLr;
  if (minLr > c.peakLr) {
    throw new LabError('SCHEDULE_CONFIG', `minLr ${minLr} exceeds peakLr ${c.peakLr}`, { ...c });
  }
  if (c.warmupSteps > c.totalSteps) {
    throw new LabError('SCHEDULE_CONFIG', `warmupSteps ${c.warmupSteps} exceeds totalSteps ${c.totalSteps}`, {
      ...c,
    });
  }
  return (step: number) => {
    // (step + 1) so that the first update already moves the weights.
    if (step < c.warmupSteps) return (c.peakLr * (step + 1)) / c.warmupSteps;
    if (step >= c.totalSteps) return minLr;
    const decaySteps = c.totalSteps - c.warmupSteps;
    const progress = decaySteps === 0 ? 1 : (step - c.warmupSteps) / decaySteps;
    return minLr + 0.5 * (c.peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

/**
 * A constant learning rate, after an optional linear warmup.
 *
 * @example
 * const lr = constantSchedule(3e-4, 10);
 */
export function constantSchedule(lr: number, warmupSteps = 0): LearningRateSchedule {
  if (!(lr > 0) || !Number.isFinite(lr)) {
    throw new LabError('SCHEDULE_CONFIG', `learning rate must be a positive number, got ${lr}`, { lr });
  }
  return (step: number) => (step < warmupSteps ? (lr * (step + 1)) / warmupSteps : lr);
}
