/**
 * Branch-Train-Merge inference (arXiv:2208.03306): keep the N experts as
 * whole models and mix their next-token distributions with the Bayes domain
 * posterior of the prefix,
 *   p(x_t | x_<t) = Σ_j p_j(x_t | x_<t) · P(j | x_<t),
 *   P(j | x_<t) ∝ P(j) · Π_{s<t} p_j(x_s | x_<s)   (uniform prior, log space),
 * keeping the `topK` largest posteriors and renormalising. Needs N forward
 * passes per token.
 */
import { type CausalLM, formatShape, LabError, tf } from '@lab/core';

export interface BtmOptions {
  /** Experts kept per position (1, 2, …, N). Default N. */
  topK?: number;
}

/**
 * Log-probabilities of the ensemble for each next token: tokens [B, T] →
 * [B, T − 1, V] (position t predicts tokens[:, t + 1]). The posterior at t uses
 * tokens[:, 1..t], the ones already predicted (the first position's is the prior).
 * @example
 * const logp = btmLogProbs([mathExpert, codeExpert], tokens, { topK: 1 });
 */
export function btmLogProbs(
  models: readonly CausalLM[],
  tokens: tf.Tensor2D,
  options: BtmOptions = {},
): tf.Tensor3D {
  const n = models.length;
  const topK = Math.min(options.topK ?? n, n);
  if (n === 0) throw new LabError('BTM_EMPTY', 'btmLogProbs needs at least one model', {});
  const [b, t] = tokens.shape;
  if (t < 2) throw new LabError('SHAPE_MISMATCH', `tokens ${formatShape(tokens.shape)}: need 2+ per row`, {});
  return tf.tidy(() => {
    const inputs = tf.slice(tokens, [0, 0], [b, t - 1]) as tf.Tensor2D; // [B, T-1]
    const targets = tf.slice(tokens, [0, 1], [b, t - 1]); // [B, T-1]
    const logps: tf.Tensor3D[] = [];
    const tokenLl: tf.Tensor2D[] = [];
    for (const model of models) {
      const { logits } = model.forward(inputs); // [B, T-1, V]
      const lp = tf.logSoftmax(logits) as tf.Tensor3D;
      const v = lp.shape[2];
      logps.push(lp);
      tokenLl.push(tf.sum(tf.mul(lp, tf.oneHot(targets, v)), 2) as tf.Tensor2D); // [B, T-1]
    }
    const ll = tf.stack(tokenLl, 2); // [B, T-1, N]
    const prefix = tf.cumsum(ll, 1, true); // [B, T-1, N]: Σ_{s<t}
    let logPost = tf.logSoftmax(prefix, 2); // [B, T-1, N]
    if (topK < n) {
      const kth = tf.min(tf.topk(logPost, topK).values, 2, true); // [B, T-1, 1]
      // Ties at the k-th value may keep a few more; fine for an ensemble weight.
      const keep = tf.greaterEqual(logPost, kth);
      logPost = tf.logSoftmax(tf.where(keep, logPost, tf.fill(logPost.shape, -1e9)), 2);
    }
    const stacked = tf.stack(logps, 3); // [B, T-1, V, N]
    return tf.logSumExp(tf.add(stacked, tf.expandDims(logPost, 2)), 3) as tf.Tensor3D; // [B, T-1, V]
  });
}

/**
 * Mean next-token loss (nats per token) of the ensemble on a batch.
 * @example
 * const nats = btmLoss(experts, tokens, { topK: 2 });
 */
export function btmLoss(models: readonly CausalLM[], tokens: tf.Tensor2D, options: BtmOptions = {}): number {
  const loss = tf.tidy(() => {
    const lp = btmLogProbs(models, tokens, options);
    const [b, t] = tokens.shape;
    const targets = tf.slice(tokens, [0, 1], [b, t - 1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(lp, tf.oneHot(targets, lp.shape[2])), 2)));
  });
  const v = loss.dataSync()[0]!;
  loss.dispose();
  return v;
}
