/** A list of logits processors applied in order, itself a processor. */
import type * as tf from '@tensorflow/tfjs-core';
import type { InputIds, LogitsProcessor, LogitsProcessorFn } from './types.js';

/**
 * @example
 * const chain = new LogitsProcessorList([new TemperatureProcessor(0.8), new TopPProcessor(0.9)]);
 */
export class LogitsProcessorList implements LogitsProcessor {
  readonly processors: LogitsProcessor[];

  constructor(processors: readonly (LogitsProcessor | LogitsProcessorFn)[] = []) {
    this.processors = processors.map((p) => (typeof p === 'function' ? { process: p } : p));
  }

  push(processor: LogitsProcessor | LogitsProcessorFn): this {
    this.processors.push(typeof processor === 'function' ? { process: processor } : processor);
    return this;
  }

  process(inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D {
    let out = logits;
    for (const p of this.processors) out = p.process(inputIds, out);
    return out;
  }
}
