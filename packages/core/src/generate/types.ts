/**
 * Plug points of decoding. A LogitsProcessor rewrites the next-token logits
 * of every row (temperature, top-k, top-p, repetition penalty, a vocabulary
 * constraint); processors compose as a list applied in order. A
 * TwoStreamProcessor merges the logits of two streams decoded in lockstep
 * (classifier-free guidance, contrastive decoding) into one set of logits
 * that then goes through the list.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Per row, the real tokens so far: the prompt without padding, then the generated tokens. */
export type InputIds = readonly (readonly number[])[];

export interface LogitsProcessor {
  /**
   * logits: [batch, vocab]. Returns new logits [batch, vocab]. Runs inside a
   * tidy scope: create intermediates freely, never dispose the input.
   * A token is forbidden by setting its logit to -Infinity.
   */
  process(inputIds: InputIds, logits: tf.Tensor2D): tf.Tensor2D;
}

/** A processor written as a plain function. */
export type LogitsProcessorFn = (inputIds: InputIds, logits: tf.Tensor2D) => tf.Tensor2D;

export interface TwoStreamProcessor {
  /**
   * Merges the two streams' next-token logits (both [batch, vocab]) into
   * [batch, vocab]. Row i of each stream belongs to the same output row;
   * both streams then append the token chosen from the merged logits.
   * Runs inside a tidy scope.
   */
  combine(
    inputIds: InputIds,
    primary: tf.Tensor2D,
    secondary: tf.Tensor2D,
    secondaryInputIds: InputIds,
  ): tf.Tensor2D;
}

export interface MultiStreamProcessor {
  /**
   * Merges the next-token logits of every stream, `logits[0]` the primary
   * stream's (all [batch, vocab]; `inputIds[i]` the rows of stream i) into
   * [batch, vocab]. Runs inside a tidy scope.
   */
  combine(inputIds: readonly InputIds[], logits: readonly tf.Tensor2D[]): tf.Tensor2D;
}
