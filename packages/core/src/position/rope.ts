/**
 * Rotary position embedding (Su et al. 2021), rotate-half layout: pair
 * (x_m, x_{m+d/2}) rotates by angle p·base^(-2m/d). q·k then depends only on
 * the offset between the two positions. The half swap is one rank-2 matmul
 * with a fixed signed permutation (wasm's fast path) instead of
 * slice/neg/concat.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import { Module } from '../nn/module.js';
import type { PositionEncoding } from './types.js';

export interface RotaryPositionOptions {
  headDim: number;
  /** Default 10000. */
  base?: number;
}

/**
 * @example
 * const rope = new RotaryPosition({ headDim: 16 });
 * const qRot = rope.rotate(q, 0); // q: [batch, heads, seq, 16]
 */
export class RotaryPosition extends Module implements PositionEncoding {
  readonly kind = 'rope';
  readonly headDim: number;
  readonly base: number;
  private readonly swap: Float32Array;
  private tables: { key: string; cos: Float32Array; sin: Float32Array } | null = null;

  constructor(options: RotaryPositionOptions) {
    super();
    if (options.headDim % 2 !== 0) {
      throw new LabError('CONFIG_INVALID', `RoPE needs an even head dimension, got ${options.headDim}`, {
        field: 'headDim',
        value: options.headDim,
      });
    }
    this.headDim = options.headDim;
    this.base = options.base ?? 10000;
    const d = this.headDim;
    const half = d / 2;
    // (x R)[j] = -x[j + half] for j < half, x[j - half] otherwise.
    this.swap = new Float32Array(d * d);
    for (let j = 0; j < half; j++) {
      this.swap[(j + half) * d + j] = -1;
      this.swap[j * d + j + half] = 1;
    }
  }

  private angles(seq: number, offset: number): { cos: Float32Array; sin: Float32Array } {
    const key = `${seq}/${offset}`;
    if (this.tables?.key === key) return this.tables;
    const d = this.headDim;
    const half = d / 2;
    const cos = new Float32Array(seq * d);
    const sin = new Float32Array(seq * d);
    for (let t = 0; t < seq; t++) {
      for (let m = 0; m < half; m++) {
        const angle = (t + offset) * this.base ** ((-2 * m) / d);
        cos[t * d + m] = cos[t * d + m + half] = Math.cos(angle);
        sin[t * d + m] = sin[t * d + m + half] = Math.sin(angle);
      }
    }
    this.tables = { key, cos, sin };
    return this.tables;
  }

  rotate(x: tf.Tensor4D, offset: number): tf.Tensor4D {
    const [batch, heads, seq, d] = x.shape;
    const { cos, sin } = this.angles(seq, offset);
    const swapped = tf.reshape(
      tf.matMul(tf.reshape(x, [batch * heads * seq, d]), tf.tensor2d(this.swap, [d, d])),
      x.shape,
    ); // [batch, heads, seq, d]
    return tf.add(tf.mul(x, tf.tensor2d(cos, [seq, d])), tf.mul(swapped, tf.tensor2d(sin, [seq, d])));
  }
}
