/**
 * Learned absolute positions (GPT-2): a [maxSeqLen, dModel] table, N(0, 1/d)
 * init, whose row p is added to the embedding of the token at position p.
 * Positions count real tokens only, so left padding does not shift them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';
import { normalInit } from '../nn/init.js';
import { Module } from '../nn/module.js';
import type { PositionEncoding } from './types.js';

export interface LearnedAbsolutePositionOptions {
  maxSeqLen: number;
  dModel: number;
  seed?: number;
}

/**
 * @example
 * const pos = new LearnedAbsolutePosition({ maxSeqLen: 128, dModel: 64 });
 * const y = pos.embedInput(x, positions); // x: [b, t, 64], positions: [b, t] int32
 */
export class LearnedAbsolutePosition extends Module implements PositionEncoding {
  readonly kind = 'absolute';
  readonly weight: tf.Variable;
  readonly maxSeqLen: number;

  constructor(options: LearnedAbsolutePositionOptions) {
    super();
    this.maxSeqLen = options.maxSeqLen;
    this.weight = this.addParameter(
      'weight',
      normalInit([options.maxSeqLen, options.dModel], 1 / Math.sqrt(options.dModel), options.seed ?? 0),
    );
  }

  embedInput(x: tf.Tensor3D, positions: tf.Tensor2D): tf.Tensor3D {
    const [batch, seq, dModel] = x.shape;
    if (positions.shape[0] !== batch || positions.shape[1] !== seq) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `positions ${formatShape(positions.shape)} do not match input ${formatShape(x.shape)}`,
        { op: 'LearnedAbsolutePosition', expected: [batch, seq], actual: positions.shape },
      );
    }
    const rows = tf.gather(this.weight, tf.reshape(positions, [-1])); // [batch*seq, dModel]
    return tf.add(x, tf.reshape(rows, [batch, seq, dModel]));
  }
}
