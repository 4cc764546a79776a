/**
 * core-train: training throughput (tokens/s) of two GPTs (seq 64, batch 16,
 * vocab 256): the tiny GPT (2 layers, d 128, 4 heads: 0.47M parameters) and a
 * 4-layer d 256 one (4 heads: 3.2M), on tfjs wasm (plain, and with
 * @lab/core-native when it loads), tfjs cpu (tiny GPT only, few steps: it is
 * slow) and, when /usr/bin/python3 has torch, the same model in PyTorch on 1
 * thread (benchmarks/core-train.py). Prints one table per model with the
 * ratio to PyTorch (wall clock and process CPU time) and a per-kernel profile
 * of one accelerated step of each model (--profile-plain: the plain-wasm
 * step); writes benchmarks/results/core-train.json.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/core-train.ts [--steps N] [--rounds N] [--quick]
 *     [--models tiny,d256] [--no-profile] [--profile-plain]
 *
 * Optimiser: AdamW from @lab/core (src/train/adamw.ts), lr 1e-3, weight decay 0.01.
 * LAB_WASM_KERNELS=0 runs "plain wasm" on the backend's own kernels (without
 * core's replacements in src/kernels/), to measure what they buy.
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
interface ModelSpec {
  key: string;
  label: string;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Steps timed per round for the plain-wasm row (slow on the larger model). */
  plainSteps: number;
  /** Steps timed per round for the accelerated and PyTorch rows. */
  steps: number;
  cpuSteps: number;
}
const ALL_MODELS: ModelSpec[] = [
  {
    key: 'tiny',
    label: 'tiny GPT (2 layers, d 128, 4 heads)',
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    plainSteps: STEPS,
    steps: STEPS,
    cpuSteps: CPU_STEPS,
  },
  {
    key: 'd256',
    label: '4 layers, d 256, 4 heads',
    dModel: 256,
    nLayers: 4,
    nHeads: 4,
    plainSteps: Math.max(2, Math.round(STEPS / 4)),
    steps: STEPS,
    cpuSteps: 0,
  },
];
const modelKeys = (() => {
  const i = argv.indexOf('--models');
  return i >= 0 ? argv[i + 1]!.split(',') : ALL_MODELS.map((m) => m.key);
})();
const MODELS = ALL_MODELS.filter((m) => modelKeys.includes(m.key));
const configOf = (m: ModelSpec) => ({
  vocabSize: VOCAB,
  dModel: m.dModel,
  nLayers: m.nLayers,
  nHeads: m.nHeads,
  maxSeqLen: SEQ,
  position: { kind: 'absolute' as const },
  feedForward: { kind: 'mlp' as const, activation: 'gelu' as const },
  seed: 0,
});

interface Row {
  name: string;
  tokensPerSec: number;
  msPerStep: number;
  /** Process CPU time per step (user + system): robust to other processes competing for the cores. */
  cpuMsPerStep: number;
  steps: number;
  loss: number;
  kernelsPerStep?: number;
  /** Median over rounds of (PyTorch's time / this time) within the same round, wall and CPU. */
  pairedRatio?: number;
  pairedCpuRatio?: number;
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

function trainer(spec: ModelSpec) {
  const model = new TransformerLM(configOf(spec));
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
  spec: ModelSpec,
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
      cpuMsPerStep: Number.NaN,
      steps: 0,
      loss: Number.NaN,
      note: info.accelerator.reason,
    };
  }
  const t = trainer(spec);
  t.step();
  t.step();
  const before = tf.memory().numTensors;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = t.step();
  const ms = (performance.now() - start) / steps;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
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
    cpuMsPerStep: cpuMs,
    steps,
    loss,
    ...(kernelsPerStep ? { kernelsPerStep } : {}),
    ...(leaked !== 0 ? { note: `LEAK: ${leaked} tensors over ${steps} steps` } : {}),
  };
}

async function profileStep(
  spec: ModelSpec,
  native: boolean,
): Promise<{ name: string; ms: number; count: number }[]> {
  await initBackend({ prefer: 'wasm', native });
  const t = trainer(spec);
  t.step();
  // Three profiled steps; per kernel name the smallest total (one step's
  // kernels at a time, so load from other processes inflates less).
  const byName = new Map<string, { ms: number; count: number }>();
  for (let r = 0; r < 3; r++) {
    const profile = await tf.profile(() => {
      t.step();
    });
    const step = new Map<string, { ms: number; count: number }>();
    for (const k of profile.kernels) {
      const e = step.get(k.name) ?? { ms: 0, count: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.count++;
      step.set(k.name, e);
    }
    for (const [name, e] of step) {
      const best = byName.get(name);
      if (!best || e.ms < best.ms) byName.set(name, e);
    }
  }
  t.dispose();
  return [...byName.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
}

function runPyTorch(spec: ModelSpec, steps: number): Row | { name: string; note: string } {
  const shape = ['--d', spec.dModel, '--layers', spec.nLayers, '--heads', spec.nHeads, '--seq', SEQ];
  const shapeArgs = [...shape, '--batch', BATCH, '--vocab', VOCAB].map(String);
  const run = spawnSync(
    '/usr/bin/python3',
    [join(here, 'core-train.py'), '--steps', String(steps), ...shapeArgs],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    },
  );
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
    cpuMsPerStep: number;
    loss: number;
  };
  return {
    name: `PyTorch ${r.torch}, 1 thread`,
    tokensPerSec: r.tokensPerSec,
    msPerStep: r.msPerStep,
    cpuMsPerStep: r.cpuMsPerStep,
    steps,
    loss: r.loss,
  };
}

type Sample = Row | { name: string; note: string };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Medians over rounds of each implementation's samples (wall and CPU time separately). */
function summarise(samples: Map<string, Sample[]>, torchName: string): Sample[] {
  const rows: Sample[] = [];
  const torchList = samples.get(torchName) ?? [];
  // Ratios to PyTorch within each round (they ran back to back, so a load
  // change between rounds cancels out), then the median over rounds.
  const paired = (list: Sample[], key: 'msPerStep' | 'cpuMsPerStep'): number => {
    const ratios: number[] = [];
    if (list.length !== torchList.length) return Number.NaN; // not measured every round (tfjs cpu)
    list.forEach((r, i) => {
      const t = torchList[i];
      if (t && 'msPerStep' in t && 'msPerStep' in r && !Number.isNaN(r[key])) ratios.push(t[key] / r[key]);
    });
    return ratios.length ? median(ratios) : Number.NaN;
  };
  for (const list of samples.values()) {
    const ok = list.filter((r): r is Row => 'tokensPerSec' in r && !Number.isNaN(r.tokensPerSec));
    if (ok.length === 0) {
      rows.push(list[list.length - 1]!);
      continue;
    }
    const ms = median(ok.map((r) => r.msPerStep));
    rows.push({
      ...ok[ok.length - 1]!,
      msPerStep: ms,
      cpuMsPerStep: median(ok.map((r) => r.cpuMsPerStep)),
      tokensPerSec: (BATCH * SEQ * 1000) / ms,
      pairedRatio: paired(list, 'msPerStep'),
      pairedCpuRatio: paired(list, 'cpuMsPerStep'),
      note: [
        ok.length > 1
          ? `median of ${ok.length}: ${ok.map((r) => r.tokensPerSec.toFixed(0)).join(', ')} tok/s`
          : '',
        ok.find((r) => r.note)?.note ?? '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  return rows;
}

const cols: [string, number][] = [
  ['implementation', -34],
  ['tokens/s', 10],
  ['ms/step', 9],
  ['x PyTorch', 10],
  ['cpu ms/step', 12],
  ['x PyTorch (cpu)', 16],
  ['paired wall', 12],
  ['paired cpu', 11],
  ['kernels', 8],
  ['loss', 7],
];
const line = (cells: string[]) =>
  cells.map((c, i) => (cols[i]![1] < 0 ? c.padEnd(-cols[i]![1]) : c.padStart(cols[i]![1]))).join('');

function printTable(spec: ModelSpec, rows: Sample[], torchName: string): void {
  const torch = rows.find((r) => r.name === torchName);
  const torchRate = torch && 'tokensPerSec' in torch ? torch.tokensPerSec : Number.NaN;
  const torchCpuMs = torch && 'cpuMsPerStep' in torch ? torch.cpuMsPerStep : Number.NaN;
  console.log(`\ncore-train: ${spec.label}, ${BATCH}x${SEQ} tokens a step, AdamW (@lab/core)`);
  console.log(`${line(cols.map(([c]) => c))}  note`);
  for (const r of rows) {
    if (!('tokensPerSec' in r) || Number.isNaN(r.tokensPerSec)) {
      console.log(`${line([r.name, '-', '-', '-', '-', '-', '-', '-', '-', '-'])}  ${r.note ?? ''}`);
      continue;
    }
    const cells = [
      r.name,
      r.tokensPerSec.toFixed(0),
      r.msPerStep.toFixed(1),
      (r.tokensPerSec / torchRate).toFixed(2),
      r.cpuMsPerStep.toFixed(1),
      (torchCpuMs / r.cpuMsPerStep).toFixed(2),
      Number.isFinite(r.pairedRatio) ? r.pairedRatio!.toFixed(2) : '-',
      Number.isFinite(r.pairedCpuRatio) ? r.pairedCpuRatio!.toFixed(2) : '-',
      String(r.kernelsPerStep ?? '-'),
      r.loss.toFixed(3),
    ];
    console.log(`${line(cells)}  ${r.note ?? ''}`);
  }
}

// Rounds interleave the implementations (PyTorch, plain wasm, accelerated)
// so that load from other processes (these machines are shared) hits them
// alike; the tables show medians of the rounds.
const ROUNDS = flag('--rounds', quick ? 1 : 3);
const groups: {
  model: string;
  config: ReturnType<typeof configOf>;
  rows: Sample[];
  profile: { name: string; ms: number; count: number }[];
  profiled: string;
}[] = [];
for (const spec of MODELS) {
  const variants = [
    ['tfjs wasm (plain)', 'wasm', false, spec.plainSteps],
    ['tfjs wasm + core-native', 'wasm', true, spec.steps],
  ] as const;
  const samples = new Map<string, Sample[]>();
  const add = (r: Sample) => samples.set(r.name, [...(samples.get(r.name) ?? []), r]);
  let torchName = 'PyTorch';
  for (let round = 0; round < ROUNDS; round++) {
    const t = runPyTorch(spec, quick ? 5 : spec.steps);
    torchName = t.name;
    add(t);
    for (const [name, backend, native, steps] of variants) {
      add((await measure(spec, name, backend, native, steps)) ?? { name, note: 'backend unavailable' });
    }
  }
  if (spec.cpuSteps > 0) {
    add(
      (await measure(spec, 'tfjs cpu', 'cpu', false, spec.cpuSteps)) ?? {
        name: 'tfjs cpu',
        note: 'backend unavailable',
      },
    );
  }
  const rows = summarise(samples, torchName);
  printTable(spec, rows, torchName);
  groups.push({ model: spec.label, config: configOf(spec), rows, profile: [], profiled: '' });
}
console.log(
  '\nx PyTorch: ratio of the median wall-clock tokens/s; x PyTorch (cpu): ratio of the median process CPU time per step (steadier when other jobs share the cores); paired wall / cpu: median over rounds of the ratio within a round.',
);

if (!argv.includes('--no-profile')) {
  // The accelerated step by default (plain wasm when it is off or with --profile-plain).
  const info = await initBackend({ prefer: 'wasm', native: !argv.includes('--profile-plain') });
  const profileNative = info.accelerator.enabled;
  for (const [i, spec] of MODELS.entries()) {
    const profile = await profileStep(spec, profileNative);
    const total = profile.reduce((a, p) => a + p.ms, 0);
    const count = profile.reduce((a, p) => a + p.count, 0);
    const what = profileNative ? 'wasm + core-native' : 'plain-wasm';
    console.log(
      `\nper-kernel profile of one ${what} step, ${spec.label} (fastest of 3 per kernel; kernel time ${total.toFixed(1)} ms, ${count} kernels):`,
    );
    console.log(`${'kernel'.padEnd(28)}${'ms'.padStart(8)}${'%'.padStart(7)}${'count'.padStart(7)}`);
    for (const p of profile.slice(0, 14)) {
      console.log(
        `${p.name.padEnd(28)}${p.ms.toFixed(1).padStart(8)}${((100 * p.ms) / total).toFixed(1).padStart(7)}${String(p.count).padStart(7)}`,
      );
    }
    groups[i]!.profile = profile;
    groups[i]!.profiled = what;
  }
}

const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'core-train.json'),
  `${JSON.stringify({ date: new Date().toISOString(), batch: BATCH, seq: SEQ, rounds: ROUNDS, groups }, null, 2)}\n`,
);
console.log(`\nwrote ${join('benchmarks', 'results', 'core-train.json')}`);
