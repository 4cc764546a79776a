/** Temperature: logits / T (T < 1 sharpens, T > 1 flattens). */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { InputIds, LogitsProcessor } from './types.js';

/**
 * @example
 * const p = new TemperatureProcessor(0.7);
 */
export class TemperatureProcessor implements LogitsProcessor {
  constructor(readonly temperature: number) {
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new LabError('GENERATE_CONFIG', `temperature must be a positive number, got ${temperature}`, {
        temperature,
      });
    }
  }

  process(_inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D {
    return this.temperature === 1 ? logits : tf.div(logits, this.temperature);
  }
}
