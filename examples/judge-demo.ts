/**
 * Self-Taught judge demo (@lab/judge-loop): a tiny seed judge trained for a
 * few SECONDS on the package's tiny arithmetic world (the benchmark's
 * two-phase seed recipe, trainTinySeed, at a much smaller budget), then one
 * held-out pair judged through the package's Judge (selfTaughtJudge) in both
 * A/B orders. It prints what the model wrote and the verdict parsed from that
 * text, right or wrong or unparsed: a seconds-long run judges near chance, so
 * this shows the mechanics, not a good judge (benchmarks/judge-loop.ts trains
 * the real one and reports its accuracy).
 *
 *   pnpm exec tsx --conditions=@lab/source examples/judge-demo.ts
 */
import { pathToFileURL } from 'node:url';
import { initBackend, Rng } from '@lab/core';
import {
  distinctQuestions,
  heldOutPairs,
  parseQuestion,
  seedCorpus,
  selfTaughtJudge,
  tinyJudgeTemplate,
  trainTinySeed,
  trueJudgment,
} from '@lab/judge-loop';
import type { Verdict } from '@lab/lm';

export interface JudgeDemoOrder {
  /** Which response is shown as A. */
  shown: 'chosen-as-A' | 'chosen-as-B';
  reasoning: string;
  verdict: Verdict;
  /** The label known by construction (the correct solution is the better one). */
  gold: 'A' | 'B';
  matches: boolean;
}

export interface JudgeDemoResult {
  instruction: string;
  chosen: string;
  rejected: string;
  orders: JudgeDemoOrder[];
  trainingSteps: number;
  trainingSeconds: number;
  totalSeconds: number;
}

// Corpus sizes of the demo's seed (the benchmark uses 4,000 + 6,000, then 8,000 transcripts).
const CORPUS = { solutions: 400, transcripts: 1600, judgeTranscripts: 1600, seed: 1 };
// Larger than the benchmark's smoke model (d 32, one layer), which in seconds learns the format but calls everything ok.
const ARCH = { dModel: 48, nLayers: 2, nHeads: 2, dFF: 96, maxSeqLen: 96 };
// Warm-up steps (first-call costs), then timed steps that set the step budget.
const WARMUP_STEPS = 5;
const CALIBRATION_STEPS = 20;

/** Trains the tiny judge for about `seconds` in all, judges one held-out pair in both orders, prints through `log`. */
export async function judgeDemo(
  options: { seconds?: number; log?: (l: string) => void } = {},
): Promise<JudgeDemoResult> {
  const log = options.log ?? console.log;
  const budgetMs = (options.seconds ?? 30) * 1000;
  const t0 = performance.now();
  log('-- a Self-Taught judge from a seconds-long training run (mechanics, not a good judge) --');

  // Time a few steps, then spend ~80% of the budget on training (60% phase 1, 40% phase 2), the rest on judging.
  const calib = await trainTinySeed({ ...CORPUS, architecture: ARCH, phase1Steps: WARMUP_STEPS });
  const t1 = performance.now();
  const timed = await trainTinySeed({ ...CORPUS, model: calib.model, phase1Steps: CALIBRATION_STEPS });
  const msPerStep = (performance.now() - t1) / CALIBRATION_STEPS;
  const steps = Math.max(2, Math.floor((0.8 * budgetMs - (performance.now() - t0)) / msPerStep));
  const phase1Steps = Math.max(1, Math.round(0.6 * steps));
  const { lm, runs } = await trainTinySeed({
    ...CORPUS,
    model: calib.model,
    phase1Steps,
    phase2Steps: Math.max(1, steps - phase1Steps),
  });
  const trainingSteps = WARMUP_STEPS + timed.runs[0]!.steps + runs.reduce((s, r) => s + r.steps, 0);
  const trainingSeconds = (performance.now() - t0) / 1000;
  log(
    `seed judge: ${calib.model.numParameters()} parameters, ${trainingSteps} SFT steps in ${trainingSeconds.toFixed(1)} s ` +
      `(phase 1 loss ${calib.runs[0]!.losses[0]!.toFixed(2)} -> ${runs[0]!.losses.at(-1)!.toFixed(2)}, ` +
      `phase 2 ${runs[1]!.losses[0]!.toFixed(2)} -> ${runs[1]!.losses.at(-1)!.toFixed(2)})`,
  );

  // A held-out pair: its question appears in neither seed corpus; chosen solves it, rejected answers a modified question.
  const seen = new Set(
    [
      ...seedCorpus({ solutions: CORPUS.solutions, transcripts: CORPUS.transcripts, seed: CORPUS.seed }),
      ...seedCorpus({ solutions: 0, transcripts: CORPUS.judgeTranscripts, seed: CORPUS.seed + 1 }),
    ].map((e) => (typeof e.prompt === 'string' ? /^Q:([^\n]*)\n/.exec(e.prompt)?.[1] : undefined)),
  );
  const question = distinctQuestions(64, new Rng(7)).find((q) => !seen.has(q))!;
  const pair = heldOutPairs([question], 'in-distribution', 11)[0]!;
  log(`instruction: ${question}`);
  log(`chosen:      ${pair.chosen}   (correct by construction)`);
  log(`rejected:    ${pair.rejected}   (a solution of a modified question)`);

  const judge = selfTaughtJudge(lm, {
    bothOrders: false,
    samples: 1,
    temperature: 0,
    maxTokens: 48,
    template: tinyJudgeTemplate,
  });
  const frames = [
    { shown: 'chosen-as-A' as const, responseA: pair.chosen, responseB: pair.rejected, gold: 'A' as const },
    { shown: 'chosen-as-B' as const, responseA: pair.rejected, responseB: pair.chosen, gold: 'B' as const },
  ];
  const judgments = await judge.pairwise(
    frames.map((f) => ({ prompt: question, responseA: f.responseA, responseB: f.responseB })),
  );
  const q = parseQuestion(question)!;
  const orders = frames.map((f, i): JudgeDemoOrder => {
    const j = judgments[i]!;
    const matches = j.verdict === f.gold;
    log(`\n[${f.shown}] prompt: ${JSON.stringify(tinyJudgeTemplate({ prompt: question, ...f }))}`);
    log(`  model's reasoning: ${JSON.stringify(j.reasoning)}`);
    log(`  true checks:       ${JSON.stringify(trueJudgment(q, f.responseA, f.responseB))}`);
    log(
      j.verdict === 'unparsed'
        ? `  verdict: unparsed (no [[A]]/[[B]]/[[C]] in the model's text); gold ${f.gold}`
        : `  verdict: ${j.verdict} (parsed from the model's text); gold ${f.gold}: ${matches ? 'matches' : 'does NOT match'}`,
    );
    return { shown: f.shown, reasoning: j.reasoning, verdict: j.verdict, gold: f.gold, matches };
  });
  const right = orders.filter((o) => o.matches).length;
  const totalSeconds = (performance.now() - t0) / 1000;
  log(
    `\n${right}/2 orders match the known better response; one pair from a ${trainingSeconds.toFixed(0)}-second run says little about accuracy. Total ${totalSeconds.toFixed(1)} s.`,
  );
  calib.model.dispose();
  return {
    instruction: question,
    chosen: pair.chosen,
    rejected: pair.rejected,
    orders,
    trainingSteps,
    trainingSeconds,
    totalSeconds,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await initBackend({ prefer: 'wasm' });
  await judgeDemo();
}
