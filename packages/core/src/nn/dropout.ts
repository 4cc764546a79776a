/**
 * Inverted dropout with a seeded, advancing stream: call n uses seed
 * deriveSeed(seed, n), so a run is reproducible and masks differ per call.
 * Identity when not training or when rate is 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { deriveSeed } from './init.js';
import { Module } from './module.js';

export const DropoutConfigSchema = z.strictObject({
  rate: z.number().min(0).lt(1).default(0),
  seed: z.number().int().default(0),
});
export type DropoutConfig = z.infer<typeof DropoutConfigSchema>;

/**
 * @example
 * const drop = new Dropout({ rate: 0.1, seed: 3 });
 * const y = drop.forward(x); // x scaled by 1/(1-rate) where kept, 0 elsewhere
 */
export class Dropout extends Module {
  readonly config: DropoutConfig;
  private calls = 0;

  constructor(config: z.input<typeof DropoutConfigSchema> = {}) {
    super();
    this.config = DropoutConfigSchema.parse(config);
  }

  forward<T extends tf.Tensor>(x: T): T {
    const { rate, seed } = this.config;
    if (!this.training || rate === 0) return x;
    return tf.dropout(x, rate, undefined, deriveSeed(seed, this.calls++)) as T;
  }

  /** Restarts the mask stream (same masks as a fresh module). */
  resetSeed(): void {
    this.calls = 0;
  }
}
