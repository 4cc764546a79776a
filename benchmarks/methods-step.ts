/**
 * methods-step: the training-step time of each method package's default tiny
 * model (the model its benchmark trains by default), on tfjs wasm without and
 * with the native accelerator (@lab/core-native), in one process. Each step is
 * core's train() (AdamW, default next-token loss of the model) on seeded random
 * tokens of the benchmark's batch shape: the data does not change the step's
 * cost, except that real batches are padded to their longest row (the `seq`
 * column is that row length). Prints one table and writes
 * benchmarks/results/methods-step.json.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/methods-step.ts [--smoke] [--steps N] [--warmup N]
 *
 * --smoke: 1 warm-up and 1 timed step per row (checks every row runs; the
 * numbers mean nothing).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHAR_VOCAB_SIZE, moeFeedForwards } from '@lab/btx-moe';
import { copeFactory, countingVocabulary } from '@lab/cope';
import { initBackend, type LMBatch, type TransformerConfigInput, TransformerLM, tf, train } from '@lab/core';
import { tinyTokenizer } from '@lab/judge-loop';
import { generateSymbolic, taskTokenizer } from '@lab/reverse-train';

/** One method's default model and batch shape. */
export interface MethodSpec {
  method: string;
  /** Where the numbers come from. */
  source: string;
  config: TransformerConfigInput;
  options?: ConstructorParameters<typeof TransformerLM>[1];
  batch: number;
  /** Tokens per row fed to nextTokenLoss (the model sees seq - 1). */
  seq: number;
}

export function methodSpecs(): MethodSpec[] {
  // benchmarks/cope.ts (default, counting task): d 32, 2 layers, 4 heads, post-norm, dropout 0, batch 32,
  // CoPE positions; counting rows are at most 4 * maxSteps = 128 tokens (maxSteps 32).
  const cope: MethodSpec = {
    method: 'cope (counting-3var)',
    source: 'benchmarks/cope.ts',
    config: {
      vocabSize: countingVocabulary(3).size,
      dModel: 32,
      nLayers: 2,
      nHeads: 4,
      maxSeqLen: 128,
      normPlacement: 'post',
      dropout: 0,
      position: { kind: 'cope' },
      seed: 0,
    },
    options: { positionEncodings: { cope: copeFactory } },
    batch: 32,
    seq: 128,
  };
  // The same counting model with RoPE instead of CoPE: what CoPE's position logits cost a step.
  const copeRopeBaseline: MethodSpec = {
    ...cope,
    method: 'cope baseline: same model, RoPE',
    config: { ...cope.config, position: { kind: 'rope' } },
    options: {},
  };
  // benchmarks/btx.ts (MODEL, BATCH): d 64, 2 layers, 4 heads, FFN 256, context 64, batch 16, char vocab;
  // the dense seed model and the mixed MoE model (4 experts, the package's default top-2 routing).
  const btxBase = {
    vocabSize: CHAR_VOCAB_SIZE,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    dFF: 256,
    maxSeqLen: 64,
    seed: 0,
  };
  const btxDense: MethodSpec = {
    method: 'btx-moe (dense seed)',
    source: 'benchmarks/btx.ts',
    config: btxBase,
    batch: 16,
    seq: 64,
  };
  const btxMoe: MethodSpec = {
    method: 'btx-moe (MoE, 4 experts)',
    source: 'benchmarks/btx.ts',
    config: {
      ...btxBase,
      feedForward: { kind: 'moe', numExperts: 4 } as TransformerConfigInput['feedForward'],
    },
    options: { feedForwards: moeFeedForwards },
    batch: 16,
    seq: 64,
  };
  // benchmarks/reverse-train.ts (default scale, symbolic task): 500 pairs of 100 symbols, d 128, 2 layers,
  // 4 heads, FFN 512, context 32, batch 64; word-level vocabulary of the task (taskTokenizer).
  const symbolic = generateSymbolic({ pairs: 500, symbols: 100, seed: 0 });
  const reverse: MethodSpec = {
    method: 'reverse-train (symbolic)',
    source: 'benchmarks/reverse-train.ts',
    config: {
      vocabSize: taskTokenizer(symbolic).vocabSize,
      dModel: 128,
      nLayers: 2,
      nHeads: 4,
      dFF: 512,
      maxSeqLen: 32,
      seed: 0,
    },
    batch: 64,
    seq: 32,
  };
  // benchmarks/coa.ts (runCoaBenchmark defaults): d 128, 2 layers, 4 heads, RoPE, SFT batch 32 through
  // @lab/lm's sft(); context min(512, longest + 16) with chains under ~250 chars, so rows are padded to
  // ~256 (restated here: the exact longest row depends on the generated world). Char vocabulary of the
  // world's texts: ~50 symbols; 64 used here (the vocabulary barely changes a d-128 step).
  const coa: MethodSpec = {
    method: 'coa (SFT)',
    source: 'benchmarks/coa.ts',
    config: {
      vocabSize: 64,
      dModel: 128,
      nLayers: 2,
      nHeads: 4,
      maxSeqLen: 320,
      position: { kind: 'rope' },
      seed: 0,
    },
    batch: 32,
    seq: 256,
  };
  // benchmarks/judge-loop.ts (non-smoke cfg.model, cfg.sft): d 128, 4 layers, 4 heads, FFN 512, context 96,
  // SFT batch 32, the package's tiny char tokenizer.
  const judge: MethodSpec = {
    method: 'judge-loop (SFT)',
    source: 'benchmarks/judge-loop.ts',
    config: {
      vocabSize: tinyTokenizer().vocabSize,
      dModel: 128,
      nLayers: 4,
      nHeads: 4,
      dFF: 512,
      maxSeqLen: 96,
      seed: 1,
    },
    batch: 32,
    seq: 96,
  };
  return [cope, copeRopeBaseline, btxDense, btxMoe, reverse, coa, judge];
}

export interface Timing {
  msPerStep: number;
  cpuMsPerStep: number;
  steps: number;
  loss: number;
}

export interface MethodRow {
  method: string;
  source: string;
  layers: number;
  d: number;
  heads: number;
  seq: number;
  batch: number;
  params: number;
  plain: Timing;
  native: Timing | null;
  /** Plain wall ms / native wall ms. */
  speedUp: number | null;
  /** The same on process CPU time (robust to other processes sharing the cores). */
  cpuSpeedUp: number | null;
}

export interface MethodsStepReport {
  date: string;
  smoke: boolean;
  warmup: number;
  steps: number;
  accelerator: { enabled: boolean; reason?: string };
  rows: MethodRow[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Seeded random token rows [batch, seq] (a tiny LCG). */
function* randomBatches(spec: MethodSpec, vocab: number): Generator<LMBatch> {
  let s = 12345;
  for (;;) {
    const data = new Int32Array(spec.batch * spec.seq);
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      data[i] = (s >>> 8) % vocab;
    }
    yield { tokens: tf.tensor2d(data, [spec.batch, spec.seq], 'int32') };
  }
}

/** Builds the model on the current backend, runs warmup + steps updates with train(), times the last `steps`. */
async function timeSteps(
  spec: MethodSpec,
  warmup: number,
  steps: number,
): Promise<Timing & { params: number }> {
  const model = new TransformerLM(spec.config, spec.options);
  const params = model.parameters().reduce((a, p) => a + p.size, 0);
  const wall: number[] = [];
  const cpu: number[] = [];
  let lastCpu = process.cpuUsage();
  let loss = Number.NaN;
  await train({
    model,
    data: randomBatches(spec, model.config.vocabSize),
    steps: warmup + steps,
    optimizer: { lr: 1e-3 },
    progress: 'none',
    callbacks: {
      onStep: (info) => {
        const now = process.cpuUsage(lastCpu);
        lastCpu = process.cpuUsage();
        if (info.step > warmup) {
          wall.push(info.ms);
          cpu.push((now.user + now.system) / 1000);
        }
        loss = info.loss;
      },
    },
  });
  model.dispose();
  return { msPerStep: median(wall), cpuMsPerStep: median(cpu), steps: wall.length, loss, params };
}

export async function runMethodsStep(
  options: { smoke?: boolean; warmup?: number; steps?: number; log?: (line: string) => void } = {},
): Promise<MethodsStepReport> {
  const smoke = options.smoke ?? false;
  const warmup = options.warmup ?? (smoke ? 1 : 3);
  const steps = options.steps ?? (smoke ? 1 : 12);
  const log = options.log ?? ((l: string) => console.log(l));
  const specs = methodSpecs();

  await initBackend({ prefer: 'wasm', native: false });
  const plain: (Timing & { params: number })[] = [];
  for (const spec of specs) {
    plain.push(await timeSteps(spec, warmup, steps));
    log(`plain  ${spec.method}: ${plain.at(-1)!.msPerStep.toFixed(1)} ms/step`);
  }

  const info = await initBackend({ prefer: 'wasm' });
  const acc = info.accelerator;
  if (!acc.enabled) log(`accelerator off: ${acc.reason}`);
  const native: (Timing | null)[] = [];
  for (const spec of specs) {
    if (!acc.enabled) {
      native.push(null);
      continue;
    }
    const { params: _p, ...t } = await timeSteps(spec, warmup, steps);
    native.push(t);
    log(`native ${spec.method}: ${t.msPerStep.toFixed(1)} ms/step`);
  }

  const rows: MethodRow[] = specs.map((spec, i) => {
    const { params, ...p } = plain[i]!;
    const n = native[i]!;
    return {
      method: spec.method,
      source: spec.source,
      layers: spec.config.nLayers ?? 0,
      d: spec.config.dModel ?? 0,
      heads: spec.config.nHeads ?? 0,
      seq: spec.seq,
      batch: spec.batch,
      params,
      plain: p,
      native: n,
      speedUp: n ? p.msPerStep / n.msPerStep : null,
      cpuSpeedUp: n ? p.cpuMsPerStep / n.cpuMsPerStep : null,
    };
  });
  const report: MethodsStepReport = {
    date: new Date().toISOString(),
    smoke,
    warmup,
    steps,
    accelerator: acc.enabled ? { enabled: true } : { enabled: false, reason: acc.reason },
    rows,
  };
  log('');
  log(formatTable(report));
  return report;
}

/** The markdown table (also pasted into packages/core-native/README.md). */
export function formatTable(r: MethodsStepReport): string {
  const lines = [
    `Training step (core train(), AdamW), median of ${r.steps} steps after ${r.warmup} warm-up; wall ms (process CPU ms).`,
    '',
    '| method | layers | d | heads | seq | batch | params | plain wasm ms/step | wasm + native ms/step | speed-up wall (CPU) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const t = (x: Timing | null) => (x ? `${x.msPerStep.toFixed(1)} (${x.cpuMsPerStep.toFixed(0)})` : 'off');
  for (const row of r.rows) {
    lines.push(
      `| ${row.method} | ${row.layers} | ${row.d} | ${row.heads} | ${row.seq} | ${row.batch} | ${(row.params / 1e6).toFixed(3)}M | ${t(row.plain)} | ${t(row.native)} | ${row.speedUp && row.cpuSpeedUp ? `${row.speedUp.toFixed(2)}x (${row.cpuSpeedUp.toFixed(2)}x)` : '-'} |`,
    );
  }
  if (!r.accelerator.enabled) lines.push('', `accelerator off: ${r.accelerator.reason}`);
  return lines.join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const smoke = argv.includes('--smoke');
  const report = await runMethodsStep({ smoke, steps: flag('--steps'), warmup: flag('--warmup') });
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, smoke ? 'methods-step-smoke.json' : 'methods-step.json');
  writeFileSync(`${out}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  console.log(`\nwrote ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
