/**
 * The key/value cache of a TransformerLM: per layer, the (rotated) keys and
 * values of every token seen so far, [batch, heads, length, headDim], plus
 * the padding mask of those tokens when one was given. Tensors are kept out
 * of tf.tidy scopes and replaced (old ones freed) as tokens are appended.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LabError } from '../errors.js';
import type { KVCache } from './types.js';

/** One layer's slot; attention reads and replaces it. */
export interface LayerKV {
  k: tf.Tensor4D | null;
  v: tf.Tensor4D | null;
}

export class TransformerKVCache implements KVCache {
  readonly batchSize: number;
  readonly layers: LayerKV[];
  private len = 0;
  private maskTensor: tf.Tensor2D | null = null;
  private disposed = false;

  constructor(batchSize: number, numLayers: number) {
    this.batchSize = batchSize;
    this.layers = Array.from({ length: numLayers }, () => ({ k: null, v: null }));
  }

  get length(): number {
    return this.len;
  }

  /** The padding mask of the cached tokens, [batch, length], or null when all are real. */
  get mask(): tf.Tensor2D | null {
    return this.maskTensor;
  }

  /** @internal Called by the model after every layer appended `added` tokens. */
  advance(added: number, mask: tf.Tensor2D | null): void {
    this.assertLive();
    this.len += added;
    if (mask !== this.maskTensor) {
      this.maskTensor?.dispose();
      this.maskTensor = mask ? tf.keep(mask.clone()) : null;
    }
  }

  /** @internal Appends to layer `index` and returns all keys and values. */
  append(index: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    this.assertLive();
    const slot = this.layers[index]!;
    const kAll = slot.k ? tf.concat([slot.k, k], 2) : k.clone(); // [batch, heads, length, headDim]
    const vAll = slot.v ? tf.concat([slot.v, v], 2) : v.clone();
    slot.k?.dispose();
    slot.v?.dispose();
    slot.k = tf.keep(kAll);
    slot.v = tf.keep(vAll);
    return { k: kAll, v: vAll };
  }

  private assertLive(): void {
    if (this.disposed) throw new LabError('CACHE_DISPOSED', 'this KV cache was disposed', {});
  }

  dispose(): void {
    for (const slot of this.layers) {
      slot.k?.dispose();
      slot.v?.dispose();
      slot.k = null;
      slot.v = null;
    }
    this.maskTensor?.dispose();
    this.maskTensor = null;
    this.disposed = true;
  }
}
