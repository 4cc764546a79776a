/**
 * CoPE versus RoPE on the counting task (@lab/cope): two tiny models, the same
 * data, seed and budget; only the position encoding differs. The test error is
 * teacher-forced on the answer token. The budget is a demo's, far below the
 * benchmark's (benchmarks/cope.ts), so read the numbers as a run, not a result.
 *
 *   pnpm exec tsx --conditions=@lab/source examples/cope-demo.ts
 */
import { pathToFileURL } from 'node:url';
import { copeFactory, countingVocabulary, encodeBatch, generateCounting, type TaskSample } from '@lab/cope';
import { initBackend, type LMBatch, TransformerLM, tf, train, warmupCosineSchedule } from '@lab/core';

export interface CopeDemoOptions {
  steps?: number;
  numVars?: number;
  log?: (line: string) => void;
}

export interface CopeDemoRow {
  scheme: 'rope' | 'cope';
  testError: number;
  msPerStep: number;
}

export async function copeDemo(options: CopeDemoOptions = {}): Promise<CopeDemoRow[]> {
  const log = options.log ?? console.log;
  const steps = options.steps ?? 300;
  const numVars = options.numVars ?? 3;
  const task = { numVars, maxSteps: 24, maxTokens: 96 };
  const vocab = countingVocabulary(numVars);
  const trainSet = generateCounting(task, 4000, 1);
  const testSet = generateCounting(task, 200, 2);
  const example = testSet[0]!;
  log(`task: ${example.tokens.join(' ')}`);

  const toBatch = (samples: readonly TaskSample[]): LMBatch => {
    const e = encodeBatch(samples, vocab);
    return {
      tokens: tf.tensor2d(e.tokens, [e.batchSize, e.length], 'int32'),
      lossMask: tf.tensor2d(e.lossMask, [e.batchSize, e.length]),
      attentionMask: tf.tensor2d(e.attentionMask, [e.batchSize, e.length]),
    };
  };

  const rows: CopeDemoRow[] = [];
  for (const scheme of ['rope', 'cope'] as const) {
    const model = new TransformerLM(
      {
        vocabSize: vocab.size,
        dModel: 32,
        nLayers: 2,
        nHeads: 4,
        maxSeqLen: 96,
        normPlacement: 'post',
        position: { kind: scheme },
        seed: 1,
      },
      { positionEncodings: { cope: copeFactory } },
    );
    let cursor = 0;
    const batches = function* (): Generator<LMBatch> {
      for (;;) {
        if (cursor + 32 > trainSet.length) cursor = 0;
        const rows = trainSet.slice(cursor, cursor + 32);
        cursor += 32;
        yield toBatch(rows);
      }
    };
    const started = performance.now();
    const result = await train({
      model,
      data: batches(),
      steps,
      progress: 'none',
      maxGradNorm: 1,
      optimizer: { lr: warmupCosineSchedule({ peakLr: 3e-3, warmupSteps: 30, totalSteps: steps }) },
    });
    const msPerStep = (performance.now() - started) / steps;
    result.optimizer.dispose();

    // Teacher-forced: does the model put the most probability on the answer?
    model.eval();
    let wrong = 0;
    let total = 0;
    const e = encodeBatch(testSet, vocab);
    const preds = tf.tidy(() => {
      const tokens = tf.tensor2d(e.tokens, [e.batchSize, e.length], 'int32');
      const mask = tf.tensor2d(e.attentionMask, [e.batchSize, e.length]);
      const { logits } = model.forward(tokens.slice([0, 0], [-1, e.length - 1]) as tf.Tensor2D, {
        attentionMask: mask.slice([0, 0], [-1, e.length - 1]) as tf.Tensor2D,
      });
      return tf.argMax(logits, 2); // [batch, length - 1]: prediction of the next token
    });
    const p = preds.dataSync();
    preds.dispose();
    for (let r = 0; r < e.batchSize; r++) {
      for (let t = 1; t < e.length; t++) {
        if (e.lossMask[r * e.length + t] !== 1) continue;
        total++;
        if (p[r * (e.length - 1) + t - 1] !== e.tokens[r * e.length + t]) wrong++;
      }
    }
    model.dispose();
    const row = { scheme, testError: (100 * wrong) / total, msPerStep };
    rows.push(row);
    log(
      `${scheme.padEnd(5)} ${steps} steps: test error ${row.testError.toFixed(1)}%, ${msPerStep.toFixed(0)} ms/step`,
    );
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await initBackend();
  await copeDemo();
}
