/**
 * Activations written for the wasm backend: its Tanh and Exp are scalar
 * loops while Sigmoid runs on XNNPACK, so each is expressed through sigmoid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedGelu } from '../backend/fused.js';

/** 2·sqrt(2/π): 0.5·(1 + tanh z) = sigmoid(2z). */
export const GELU_SCALE = 1.5957691216057308;

/**
 * GELU, tanh approximation (Hendrycks & Gimpel 2016), as the exact identity
 * x·sigmoid(2·sqrt(2/π)·(x + 0.044715x³)).
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  // One native kernel each way when @lab/core-native is on (same math).
  const fused = fusedGelu(x);
  if (fused) return fused;
  const inner = tf.mul(x, tf.add(tf.mul(tf.square(x), 0.044715 * GELU_SCALE), GELU_SCALE));
  return tf.mul(x, tf.sigmoid(inner)) as T;
}

/** SiLU / swish: x·sigmoid(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}
