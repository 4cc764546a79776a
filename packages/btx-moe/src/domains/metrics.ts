/**
 * Task metrics of the synthetic domains (spec §4): exact match of greedy
 * arithmetic answers, argmax accuracy on closing brackets of held-out Dyck
 * programs, and greedy completion of entity attributes.
 */
import { type CausalLM, generate, tf } from '@lab/core';
import { BOS_ID, decodeChars, encodeChars } from './char-vocab.js';
import { arithHeldoutProblems, CLOSING, documents, wikiProbes } from './domains.js';
import { lmBatches, packWindows } from './windows.js';

async function greedyAnswers(
  model: CausalLM,
  prompts: string[],
  stop: string,
  maxNew: number,
): Promise<string[]> {
  const out: string[] = [];
  const stopId = encodeChars(stop)[0]!;
  for (let i = 0; i < prompts.length; i += 100) {
    const chunk = prompts.slice(i, i + 100).map((p) => [BOS_ID, ...encodeChars(p)]);
    const res = await generate(model, chunk, { maxNewTokens: maxNew, stopTokens: [stopId] });
    for (const row of res.tokens) out.push(decodeChars(row));
  }
  return out;
}

/**
 * Exact match of c given `a op b =` on n held-out lines.
 * @example
 * await arithExactMatch(model, 200); // 0..1
 */
export async function arithExactMatch(model: CausalLM, n = 1000, seed = 0): Promise<number> {
  const problems = arithHeldoutProblems(n, seed);
  const answers = await greedyAnswers(
    model,
    problems.map((p) => p.prompt),
    ';',
    8,
  );
  return answers.filter((a, i) => a === problems[i]!.answer).length / n;
}

/**
 * Greedy attribute completion on one probe template per attribute.
 * @example
 * await wikiAccuracy(model, 200);
 */
export async function wikiAccuracy(model: CausalLM, n = 400, seed = 0): Promise<number> {
  const probes = wikiProbes(n, seed);
  const answers = await greedyAnswers(
    model,
    probes.map((p) => p.prompt),
    '.',
    10,
  );
  return answers.filter((a, i) => a === probes[i]!.answer).length / n;
}

/**
 * Argmax accuracy wherever the gold next character closes a bracket, on held-out programs.
 * @example
 * codeBracketAccuracy(model, 8);
 */
export function codeBracketAccuracy(model: CausalLM, batches = 8, batchSize = 16): number {
  const closing = [...CLOSING].map((c) => encodeChars(c)[0]!);
  let hit = 0;
  let total = 0;
  const stream = packWindows(documents('code', 'heldout', 777), model.maxSeqLen + 1);
  for (const batch of lmBatches([stream], batchSize, batches)) {
    const [h, t] = tf.tidy(() => {
      const [b, len] = batch.tokens.shape;
      const { logits } = model.forward(tf.slice(batch.tokens, [0, 0], [b, len - 1]) as tf.Tensor2D);
      const pred = tf.argMax(logits, 2); // [B, T-1]
      const gold = tf.slice(batch.tokens, [0, 1], [b, len - 1]);
      let isClose: tf.Tensor = tf.cast(tf.zerosLike(gold), 'bool');
      for (const id of closing) isClose = tf.logicalOr(isClose, tf.equal(gold, id));
      const ok = tf.logicalAnd(isClose, tf.equal(pred, gold));
      return [tf.sum(tf.cast(ok, 'float32')), tf.sum(tf.cast(isClose, 'float32'))];
    });
    hit += h.dataSync()[0]!;
    total += t.dataSync()[0]!;
    tf.dispose([h, t, batch.tokens]);
  }
  return total === 0 ? 0 : hit / total;
}
