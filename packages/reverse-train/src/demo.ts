/**
 * A demo step: the reversal curse and its fix in one call. Two tiny models
 * learn the same symbolic facts `a r1 r2 b` (plus, for half the pairs, the
 * reverse statement `b r3 a`); one trains forward only, the other also on the
 * entity-reversed samples. Asked `b r3` for a held-out pair, the standard model
 * cannot name `a`; the reverse-trained one can.
 */
import { generateSymbolic } from './generators/symbolic.js';
import { type ArmResult, runArm } from './harness.js';

export interface ReversalDemoOptions {
  /** Pairs in the task (half are tested in reverse). Default 500. */
  pairs?: number;
  /** Epochs of the standard arm. Default 150. */
  epochs?: number;
  seed?: number;
  /** Progress lines go here. Default: none. */
  log?: (line: string) => void;
}

export interface ReversalDemoResult {
  /** A held-out reverse question the reverse-trained model answered and the standard one did not (null if none). */
  example: {
    fact: string;
    question: string;
    expected: string;
    standard: string;
    reverseTrained: string;
  } | null;
  standard: Pick<ArmResult, 'forward' | 'reverse' | 'tokensSeen' | 'trainSeconds'>;
  reverseTrained: Pick<ArmResult, 'forward' | 'reverse' | 'tokensSeen' | 'trainSeconds'>;
  seconds: number;
}

/**
 * Trains a standard and an entity-reverse-trained tiny model (about 3 minutes
 * on an idle CPU core with the default options) and returns a reverse question
 * only the latter answers. Call `initBackend()` first.
 *
 * @example
 * await initBackend();
 * const demo = await reversalCurseDemo({ log: console.log });
 * console.log(demo.example); // { question: 's12 s7 r3', expected: 's40', standard: 's3', reverseTrained: 's40', … }
 */
export async function reversalCurseDemo(options: ReversalDemoOptions = {}): Promise<ReversalDemoResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const task = generateSymbolic({ pairs: options.pairs ?? 500, symbols: 100, seed: options.seed ?? 1 });
  const reverseItems = task.test.filter((q) => q.direction === 'reverse');
  const common = {
    epochs: options.epochs ?? 150,
    seed: options.seed ?? 1,
    // The spec's recipe, as in the benchmark's default grid: batch 16 at lr 3e-3 learned the
    // reverse format far worse (entity 11% reverse against 54% at 500 pairs).
    batchSize: 64,
    lr: 1e-3,
    warmupSteps: 100,
    model: { dModel: 128, nLayers: 2, nHeads: 4, dFF: 512, maxSeqLen: 32 },
  };
  const answers: Record<'standard' | 'entity', string[]> = { standard: [], entity: [] };
  const results: Partial<Record<'standard' | 'entity', ArmResult>> = {};
  for (const arm of ['standard', 'entity'] as const) {
    log(`training the ${arm === 'standard' ? 'standard' : 'entity-reverse-trained'} model…`);
    results[arm] = await runArm(task, {
      ...common,
      reversal: { mode: arm === 'standard' ? 'none' : 'entity' },
    });
    answers[arm] = results[arm]!.answers.reverse;
    log(
      `  forward ${(100 * results[arm]!.forward.accuracy).toFixed(0)}%, reverse ${(100 * results[arm]!.reverse.accuracy).toFixed(0)}%`,
    );
  }
  const at = reverseItems.findIndex(
    (q, i) => answers.entity[i] === q.answer && answers.standard[i] !== q.answer,
  );
  const pick = (r: ArmResult) => ({
    forward: r.forward,
    reverse: r.reverse,
    tokensSeen: r.tokensSeen,
    trainSeconds: r.trainSeconds,
  });
  const q = reverseItems[at];
  return {
    example: q
      ? {
          fact: `${q.answer} r1 r2 ${q.prompt.replace(/ r3$/, '')}`,
          question: q.prompt,
          expected: q.answer,
          standard: answers.standard[at]!,
          reverseTrained: answers.entity[at]!,
        }
      : null,
    standard: pick(results.standard!),
    reverseTrained: pick(results.entity!),
    seconds: (performance.now() - started) / 1000,
  };
}
