/**
 * A tiny CausalLM for tests of training and decoding, independent of the
 * transformer: logits_t = (e(x_t) + tanh(sum of e(x_s) over real s <= t)) W + b.
 * The running sum makes each step depend on the whole prefix (so a cache
 * matters), and ignores padding (so a left-padded row computes what it would
 * alone). Embeddings are a one-hot matmul, so its gradients need no gather
 * gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM, ForwardOptions, ForwardOutput, KVCache } from '../../src/index.js';
import { Module } from '../../src/index.js';

export class ToyCache implements KVCache {
  sum: tf.Tensor2D | null = null; // [batch, dim]
  length = 0;
  constructor(readonly batchSize: number) {}
  dispose(): void {
    this.sum?.dispose();
    this.sum = null;
  }
}

export class ToyLM extends Module implements CausalLM {
  readonly embed: tf.Variable;
  readonly head: tf.Variable;
  readonly bias: tf.Variable;
  forwardCalls = 0;

  constructor(
    readonly vocabSize: number,
    readonly dim = 8,
    readonly maxSeqLen = 64,
    seed = 1,
  ) {
    super();
    this.embed = this.addParameter('embed', tf.randomNormal([vocabSize, dim], 0, 1, 'float32', seed));
    this.head = this.addParameter('head', tf.randomNormal([dim, vocabSize], 0, 1, 'float32', seed + 1));
    this.bias = this.addParameter('bias', tf.zeros([vocabSize]));
  }

  createCache(batchSize: number): KVCache {
    return new ToyCache(batchSize);
  }

  forward(tokens: tf.Tensor2D, options: ForwardOptions = {}): ForwardOutput {
    this.forwardCalls++;
    const [b, t] = tokens.shape;
    const cache = options.cache as ToyCache | undefined;
    const past = cache?.length ?? 0;
    if (past + t > this.maxSeqLen) throw new Error(`toy: ${past + t} > maxSeqLen`);
    if (options.attentionMask && options.attentionMask.shape[1] !== past + t) {
      throw new Error(
        `toy: attentionMask has ${options.attentionMask.shape[1]} columns, expected ${past + t}`,
      );
    }
    const { logits, newSum } = tf.tidy(() => {
      const onehot = tf.oneHot(tf.reshape(tokens, [b * t]), this.vocabSize); // [b*t, V]
      const e = tf.reshape(tf.matMul(onehot, this.embed), [b, t, this.dim]); // [b, t, D]
      const m = options.attentionMask
        ? tf.reshape(tf.slice(tf.cast(options.attentionMask, 'float32'), [0, past], [b, t]), [b, t, 1])
        : tf.ones([b, t, 1]);
      const em = tf.mul(e, m); // [b, t, D]
      // Running sum over time as a lower-triangular matmul (tfjs's cumsum gradient is wrong off the last axis).
      const lower = tf.linalg.bandPart(tf.ones([t, t]), -1, 0); // [t, t]
      const flat = tf.reshape(tf.transpose(em, [1, 0, 2]), [t, b * this.dim]); // [t, b*D]
      let prefix = tf.transpose(tf.reshape(tf.matMul(lower, flat), [t, b, this.dim]), [1, 0, 2]); // [b, t, D]
      if (cache?.sum) prefix = tf.add(prefix, tf.reshape(cache.sum, [b, 1, this.dim]));
      const h = tf.add(e, tf.tanh(prefix)); // [b, t, D]
      const out = tf.add(
        tf.reshape(tf.matMul(tf.reshape(h, [b * t, this.dim]), this.head), [b, t, this.vocabSize]),
        this.bias,
      );
      const last = tf.reshape(tf.slice(prefix, [0, t - 1, 0], [b, 1, this.dim]), [b, this.dim]);
      return { logits: out as tf.Tensor3D, newSum: last as tf.Tensor2D };
    });
    if (cache) {
      cache.sum?.dispose();
      // Kept: forward may run inside the caller's tidy, which must not free the cache.
      cache.sum = tf.keep(newSum);
      cache.length = past + t;
    } else {
      newSum.dispose();
    }
    return { logits, auxLoss: null };
  }
}
