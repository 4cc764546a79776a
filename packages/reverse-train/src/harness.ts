/**
 * The experiment harness of spec §5: train one tiny core TransformerLM on one
 * arm (a reversal under a budget) of a generated task, then score the held-out
 * questions by greedy decoding, forward and reverse separately. The benchmark,
 * the demo and the smoke test all run through `runArm`.
 */
import {
  generate,
  LabError,
  padBatch,
  TransformerLM,
  train,
  VocabTokenizer,
  warmupCosineSchedule,
} from '@lab/core';
import { z } from 'zod';
import type { QAItem, TaskData } from './generators/types.js';
import { type MixedSample, mixStream } from './mixer.js';
import { ReversalSchema } from './reversal.js';
import { encodeWords } from './token-groups.js';
import { splitWords } from './words.js';

export const ArmConfigSchema = z.strictObject({
  reversal: ReversalSchema,
  budget: z.enum(['data', 'compute']).default('data'),
  /** Epochs of the standard arm (compute-matched reverse arms get half). */
  epochs: z.number().int().min(1),
  seed: z.number().int().default(0),
  model: z
    .strictObject({
      dModel: z.number().int().positive().default(128),
      nLayers: z.number().int().positive().default(2),
      nHeads: z.number().int().positive().default(4),
      dFF: z.number().int().positive().default(512),
      maxSeqLen: z.number().int().positive().default(32),
    })
    .default({ dModel: 128, nLayers: 2, nHeads: 4, dFF: 512, maxSeqLen: 32 }),
  batchSize: z.number().int().positive().default(64),
  lr: z.number().positive().default(1e-3),
  warmupSteps: z.number().int().nonnegative().default(100),
  weightDecay: z.number().nonnegative().default(0.1),
  /** Questions decoded per generate() call. */
  evalBatchSize: z.number().int().positive().default(128),
  /** Score at most this many test items per direction (all by default). */
  maxEvalItems: z.number().int().positive().optional(),
  /** Print a progress line every this many steps (0: quiet). */
  logEvery: z.number().int().nonnegative().default(0),
});
export type ArmConfig = z.infer<typeof ArmConfigSchema>;

/** Accuracy of one direction, overall and by group. */
export interface DirectionScore {
  correct: number;
  total: number;
  accuracy: number;
  byGroup: Record<string, { correct: number; total: number; accuracy: number }>;
  /** Partial matches (bios reverse: first name, last name), as accuracies. */
  parts: Record<string, number>;
}

export interface ArmResult {
  forward: DirectionScore;
  reverse: DirectionScore;
  /** Real (unpadded) tokens the model trained on, BOS/EOS included. */
  tokensSeen: number;
  samples: number;
  steps: number;
  finalLoss: number;
  trainSeconds: number;
  evalSeconds: number;
  /** What the model produced for each scored item, in the order of the task's forward and reverse items. */
  answers: { forward: string[]; reverse: string[] };
  /** Example answers to reverse questions: prompt, expected, produced. */
  examples: Array<{ prompt: string; expected: string; produced: string }>;
}

/** A word-level tokenizer over a task's vocabulary (specials pad 0, bos 1, eos 2, unk 3). */
export function taskTokenizer(task: TaskData): VocabTokenizer {
  return new VocabTokenizer({ level: 'word', tokens: task.vocabulary });
}

async function collect(stream: AsyncIterable<MixedSample>): Promise<MixedSample[]> {
  const out: MixedSample[] = [];
  for await (const s of stream) out.push(s);
  return out;
}

/**
 * Greedy answers to `items`: the prompt's words after BOS, decoded until EOS.
 * Returns the produced words per item.
 */
export async function answerQuestions(
  model: TransformerLM,
  tokenizer: VocabTokenizer,
  items: readonly QAItem[],
  batchSize = 128,
): Promise<string[]> {
  const bos = tokenizer.specialTokenId('bos');
  const eos = tokenizer.specialTokenId('eos');
  const out: string[] = [];
  model.eval();
  for (let i = 0; i < items.length; i += batchSize) {
    const chunk = items.slice(i, i + batchSize);
    const prompts = chunk.map((q) => [bos, ...encodeWords(splitWords(q.prompt).words, tokenizer, false).ids]);
    const longestAnswer = Math.max(...chunk.map((q) => splitWords(q.answer).words.length));
    const room = model.maxSeqLen - Math.max(...prompts.map((p) => p.length));
    const result = await generate(model, prompts, {
      maxNewTokens: Math.max(1, Math.min(longestAnswer + 2, room)),
      stopTokens: [eos],
      padToken: tokenizer.padId ?? 0,
    });
    for (const tokens of result.tokens) out.push(tokenizer.decode(tokens, { skipSpecialTokens: true }));
  }
  return out;
}

function score(items: readonly QAItem[], produced: readonly string[]): DirectionScore {
  const byGroup: DirectionScore['byGroup'] = {};
  const partHits: Record<string, number> = {};
  let correct = 0;
  items.forEach((q, i) => {
    const got = splitWords(produced[i] ?? '').words;
    const ok = got.join(' ') === splitWords(q.answer).words.join(' ');
    if (ok) correct++;
    if (!byGroup[q.group]) byGroup[q.group] = { correct: 0, total: 0, accuracy: 0 };
    const g = byGroup[q.group]!;
    g.total++;
    if (ok) g.correct++;
    if (q.parts) {
      const answerWords = splitWords(q.answer).words;
      for (const [name, value] of Object.entries(q.parts)) {
        const at = answerWords.indexOf(value);
        if (got[at] === value) partHits[name] = (partHits[name] ?? 0) + 1;
        else partHits[name] ??= 0;
      }
    }
  });
  for (const g of Object.values(byGroup)) g.accuracy = g.total ? g.correct / g.total : 0;
  const parts: Record<string, number> = {};
  for (const [k, v] of Object.entries(partHits)) parts[k] = items.length ? v / items.length : 0;
  return {
    correct,
    total: items.length,
    accuracy: items.length ? correct / items.length : 0,
    byGroup,
    parts,
  };
}

/**
 * Trains a fresh model on one arm of `task` and scores it. Call `initBackend()` first.
 *
 * @example
 * await initBackend({ prefer: 'wasm' });
 * const task = generateSymbolic({ pairs: 200, seed: 1 });
 * const r = await runArm(task, { reversal: { mode: 'entity' }, epochs: 60 });
 * console.log(r.forward.accuracy, r.reverse.accuracy, r.tokensSeen);
 */
export async function runArm(
  task: TaskData,
  config: z.input<typeof ArmConfigSchema>,
  hooks: { onModel?: (model: TransformerLM, tokenizer: VocabTokenizer) => Promise<void> | void } = {},
): Promise<ArmResult> {
  const c = ArmConfigSchema.parse(config);
  const tokenizer = taskTokenizer(task);
  const bos = tokenizer.specialTokenId('bos');
  const eos = tokenizer.specialTokenId('eos');
  const samples = await collect(
    mixStream(
      task.train,
      {
        reversal: c.reversal,
        budget: c.budget,
        epochs: c.epochs,
        seed: c.seed,
        // Larger than one pass: a full shuffle of each pass.
        shuffleBuffer: 2 * task.train.length + 1,
        leadingSpace: false,
      },
      { tokenizer },
    ),
  );
  const rows = samples.map((s) => [bos, ...s.ids!, eos]);
  // A loop, not Math.max(...rows): a spread of 100k+ arguments overflows the call stack.
  const longest = rows.reduce((m, r) => Math.max(m, r.length), 0);
  if (longest > c.model.maxSeqLen + 1) {
    throw new LabError(
      'HARNESS_CONFIG',
      `a sample has ${longest} tokens; raise model.maxSeqLen (${c.model.maxSeqLen})`,
      {
        longest,
      },
    );
  }
  const tokensSeen = rows.reduce((n, r) => n + r.length, 0);
  const steps = Math.ceil(rows.length / c.batchSize);
  const model = new TransformerLM({
    vocabSize: tokenizer.vocabSize,
    dModel: c.model.dModel,
    nLayers: c.model.nLayers,
    nHeads: c.model.nHeads,
    dFF: c.model.dFF,
    maxSeqLen: c.model.maxSeqLen,
    seed: c.seed,
  });
  const padId = tokenizer.padId ?? 0;
  function* batches() {
    for (let i = 0; i < rows.length; i += c.batchSize) {
      const chunk = rows.slice(i, i + c.batchSize);
      yield padBatch(chunk, { padId, length: Math.max(...chunk.map((r) => r.length)) });
    }
  }
  const t0 = performance.now();
  const result = await train({
    model,
    data: batches(),
    steps,
    optimizer: {
      lr: warmupCosineSchedule({
        peakLr: c.lr,
        warmupSteps: Math.min(c.warmupSteps, Math.floor(steps / 5)),
        totalSteps: steps,
      }),
      weightDecay: c.weightDecay,
    },
    progress: c.logEvery > 0 ? 'lines' : 'none',
    logEvery: Math.max(1, c.logEvery),
  });
  result.optimizer.dispose();
  const trainSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const pick = (dir: 'forward' | 'reverse') => {
    const items = task.test.filter((q) => q.direction === dir);
    return c.maxEvalItems ? items.slice(0, c.maxEvalItems) : items;
  };
  const fItems = pick('forward');
  const rItems = pick('reverse');
  const fOut = await answerQuestions(model, tokenizer, fItems, c.evalBatchSize);
  const rOut = await answerQuestions(model, tokenizer, rItems, c.evalBatchSize);
  const evalSeconds = (performance.now() - t1) / 1000;
  await hooks.onModel?.(model, tokenizer);
  model.dispose();
  return {
    forward: score(fItems, fOut),
    reverse: score(rItems, rOut),
    tokensSeen,
    samples: rows.length,
    steps: result.steps,
    finalLoss: result.losses[result.losses.length - 1] ?? Number.NaN,
    trainSeconds,
    evalSeconds,
    answers: { forward: fOut, reverse: rOut },
    examples: rItems
      .slice(0, 3)
      .map((q, i) => ({ prompt: q.prompt, expected: q.answer, produced: rOut[i] ?? '' })),
  };
}
