/**
 * core-train: training throughput (tokens/s) of a tiny GPT (2 layers, d 128,
 * 4 heads, seq 64, batch 16, vocab 256: 0.47M parameters) on tfjs wasm (plain,
 * and with @lab/core-native when it loads), tfjs cpu (few steps: it is slow)
 * and, when /usr/bin/python3 has torch, the same model in PyTorch on 1 thread
 * (benchmarks/core-train.py). Prints one table with the ratio to PyTorch and
 * a per-kernel profile of one plain-wasm step; writes
 * benchmarks/results/core-train.json.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/core-train.ts [--steps N] [--quick] [--no-profile]
 *
 * Optimiser: AdamW from @lab/core (src/train/adamw.ts), lr 1e-3, weight decay 0.01.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdamW, type BackendName, initBackend, maskedCrossEntropy, TransformerLM, tf } from '@lab/core';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const flag = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const STEPS = flag('--steps', quick ? 5 : 20);
const CPU_STEPS = flag('--cpu-steps', quick ? 1 : 3);
const BATCH = 16;
const SEQ = 64;
const VOCAB = 256;
const CONFIG = {
  vocabSize: VOCAB,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  maxSeqLen: SEQ,
  position: { kind: 'absolute' as const },
  feedForward: { kind: 'mlp' as const, activation: 'gelu' as const },
  seed: 0,
};

interface Row {
  name: string;
  tokensPerSec: number;
  msPerStep: number;
  steps: number;
  loss: number;
  kernelsPerStep?: number;
  note?: string;
}

/** Seeded token rows [BATCH, SEQ + 1] (a tiny LCG: the data does not matter for speed). */
function makeBatches(n: number): number[][][] {
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % VOCAB;
  };
  return Array.from({ length: n }, () =>
    Array.from({ length: BATCH }, () => Array.from({ length: SEQ + 1 }, next)),
  );
}

function trainer() {
  const model = new TransformerLM(CONFIG);
  const optimizer = new AdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 0.01 });
  const batches = makeBatches(4).map((rows) => {
    const all = tf.tensor2d(rows, [BATCH, SEQ + 1], 'int32');
    const inputs = tf.slice(all, [0, 0], [BATCH, SEQ]) as tf.Tensor2D;
    const targets = tf.slice(all, [0, 1], [BATCH, SEQ]) as tf.Tensor2D;
    all.dispose();
    return { inputs, targets };
  });
  let i = 0;
  const step = (): number => {
    const batch = batches[i++ % batches.length]!;
    const { value, grads } = tf.variableGrads(
      () => maskedCrossEntropy(model.forward(batch.inputs).logits, batch.targets),
      model.parameters(),
    );
    optimizer.applyGradients(grads);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, grads]);
    return loss;
  };
  const dispose = () => {
    model.dispose();
    optimizer.dispose?.();
    for (const b of batches) tf.dispose([b.inputs, b.targets]);
  };
  return { model, step, dispose };
}

async function measure(
  name: string,
  backend: BackendName,
  native: boolean,
  steps: number,
): Promise<Row | null> {
  const info = await initBackend({ prefer: backend, native });
  if (info.name !== backend) return null;
  if (native && !info.accelerator.enabled) {
    return {
      name,
      tokensPerSec: Number.NaN,
      msPerStep: Number.NaN,
      steps: 0,
      loss: Number.NaN,
      note: info.accelerator.reason,
    };
  }
  const t = trainer();
  t.step();
  t.step();
  const before = tf.memory().numTensors;
  const start = performance.now();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = t.step();
  const ms = (performance.now() - start) / steps;
  const leaked = tf.memory().numTensors - before;
  let kernelsPerStep: number | undefined;
  if (backend === 'wasm') {
    const profile = await tf.profile(() => {
      t.step();
    });
    kernelsPerStep = profile.kernels.length;
  }
  t.dispose();
  return {
    name,
    tokensPerSec: (BATCH * SEQ * 1000) / ms,
    msPerStep: ms,
    steps,
    loss,
    ...(kernelsPerStep ? { kernelsPerStep } : {}),
    ...(leaked !== 0 ? { note: `LEAK: ${leaked} tensors over ${steps} steps` } : {}),
  };
}

async function profileStep(native: boolean): Promise<{ name: string; ms: number; count: number }[]> {
  await initBackend({ prefer: 'wasm', native });
  const t = trainer();
  t.step();
  const profile = await tf.profile(() => {
    t.step();
  });
  t.dispose();
  const byName = new Map<string, { ms: number; count: number }>();
  for (const k of profile.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, count: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.count++;
    byName.set(k.name, e);
  }
  return [...byName.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
}

function runPyTorch(steps: number): Row | { name: string; note: string } {
  const run = spawnSync('/usr/bin/python3', [join(here, 'core-train.py'), '--steps', String(steps)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
  });
  if (run.status !== 0) {
    return {
      name: 'PyTorch',
      note: `unavailable: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`,
    };
  }
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    torch: string;
    tokensPerSec: number;
    msPerStep: number;
    loss: number;
  };
  return {
    name: `PyTorch ${r.torch}, 1 thread`,
    tokensPerSec: r.tokensPerSec,
    msPerStep: r.msPerStep,
    steps,
    loss: r.loss,
  };
}

const rows: (Row | { name: string; note: string })[] = [];
const torch = runPyTorch(quick ? 5 : 20);
for (const [name, backend, native, steps] of [
  ['tfjs wasm (plain)', 'wasm', false, STEPS],
  ['tfjs wasm + core-native', 'wasm', true, STEPS],
  ['tfjs cpu', 'cpu', false, CPU_STEPS],
] as const) {
  const row = await measure(name, backend, native, steps);
  if (row) rows.push(row);
  else rows.push({ name, note: 'backend unavailable' });
}
rows.push(torch);

const torchRate = 'tokensPerSec' in torch ? torch.tokensPerSec : Number.NaN;
console.log(`\ncore-train: tiny GPT, ${BATCH}x${SEQ} tokens a step, AdamW (@lab/core)`);
console.log(
  `${'implementation'.padEnd(34)}${'tokens/s'.padStart(10)}${'ms/step'.padStart(10)}${'x PyTorch'.padStart(11)}${'kernels'.padStart(9)}${'loss'.padStart(8)}  note`,
);
for (const r of rows) {
  if (!('tokensPerSec' in r) || Number.isNaN(r.tokensPerSec)) {
    console.log(
      `${r.name.padEnd(34)}${'-'.padStart(10)}${'-'.padStart(10)}${'-'.padStart(11)}${'-'.padStart(9)}${'-'.padStart(8)}  ${r.note ?? ''}`,
    );
    continue;
  }
  console.log(
    `${r.name.padEnd(34)}${r.tokensPerSec.toFixed(0).padStart(10)}${r.msPerStep.toFixed(1).padStart(10)}${(r.tokensPerSec / torchRate).toFixed(2).padStart(11)}${String(r.kernelsPerStep ?? '-').padStart(9)}${r.loss.toFixed(3).padStart(8)}  ${r.note ?? ''}`,
  );
}

let profile: { name: string; ms: number; count: number }[] = [];
if (!argv.includes('--no-profile')) {
  profile = await profileStep(false);
  const total = profile.reduce((a, p) => a + p.ms, 0);
  console.log(`\nper-kernel profile of one plain-wasm step (kernel time ${total.toFixed(1)} ms):`);
  console.log(`${'kernel'.padEnd(24)}${'ms'.padStart(8)}${'%'.padStart(7)}${'count'.padStart(7)}`);
  for (const p of profile.slice(0, 18)) {
    console.log(
      `${p.name.padEnd(24)}${p.ms.toFixed(1).padStart(8)}${((100 * p.ms) / total).toFixed(1).padStart(7)}${String(p.count).padStart(7)}`,
    );
  }
}

const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'core-train.json'),
  `${JSON.stringify({ date: new Date().toISOString(), batch: BATCH, seq: SEQ, config: CONFIG, rows, profile }, null, 2)}\n`,
);
console.log(`\nwrote ${join('benchmarks', 'results', 'core-train.json')}`);
