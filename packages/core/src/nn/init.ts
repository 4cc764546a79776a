/**
 * Seeded parameter initialisation. Every parameter draws from its own seed,
 * derived from the model seed and the parameter's dotted name, so the same
 * seed gives the same weights whatever the construction order or backend
 * (tf.randomNormal with a seed generates in JavaScript).
 */
import * as tf from '@tensorflow/tfjs-core';

/** A 31-bit seed from a base seed and a path of tags (FNV-1a over the text). */
export function deriveSeed(seed: number, ...tags: (string | number)[]): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  const text = tags.join('.');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) & 0x7fffffff;
}

/** N(0, std²) with a fixed seed. */
export function normalInit(shape: number[], std: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', seed);
}
