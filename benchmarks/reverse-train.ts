/**
 * reverse-train: the required grid of spec §5 (reverse-train.md) on tiny core
 * TransformerLMs. For each task (symbolic reversal, mini biographies), each
 * budget and each arm, trains a fresh model per seed and scores held-out
 * questions by greedy decoding, forward and reverse separately. Prints one
 * table per task and budget (data- and compute-matched never mixed), checks
 * the spec's pass criteria and says plainly which hold; writes
 * benchmarks/results/reverse-train.json (or --out); runs with --task, --arms,
 * --pairs, --people or --seeds off their defaults write a suffixed file beside it
 * (e.g. reverse-train-task-bios-seeds-1.json), and --scale spec / --smoke add -spec / -smoke.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/reverse-train.ts [--smoke | --scale default|spec]
 *     [--seeds N] [--task symbolic|bios|all] [--arms data:entity,data:standard,...] [--pairs N] [--people N] [--out FILE]
 *
 * The spec's setup does not fit an hour on 2 CPU cores; what the default
 * shrinks, and why, is in SHRUNK below and printed with the results.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@lab/core';
import {
  type ArmResult,
  findLeaks,
  generateBios,
  generateSymbolic,
  type ReversalInput,
  reversalName,
  runArm,
  type TaskData,
} from '@lab/reverse-train';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    scale: { type: 'string', default: 'default' },
    seeds: { type: 'string' },
    task: { type: 'string', default: 'all' },
    arms: { type: 'string' },
    pairs: { type: 'string' },
    people: { type: 'string' },
    out: { type: 'string' },
  },
});
const smoke = args.smoke;
const scale = smoke ? 'smoke' : (args.scale ?? 'default');
if (!['default', 'spec', 'smoke'].includes(scale))
  throw new Error(`--scale ${scale}: expected default or spec`);
const seeds = Number(args.seeds ?? (smoke ? 1 : 2));
const which = args.task;
const armFilter = args.arms?.split(',').map((a) => a.trim());
interface TaskSetup {
  name: 'symbolic' | 'bios';
  make: (seed: number) => TaskData;
  epochs: number;
  model: { dModel: number; nLayers: number; nHeads: number; dFF: number; maxSeqLen: number };
  batchSize: number;
  lr: number;
  warmupSteps: number;
}

const pairs = Number(args.pairs ?? (scale === 'spec' ? 2000 : 500));
const people = Number(args.people ?? (scale === 'spec' ? 200 : 40));

// Partial or non-default runs (--task, --arms, --pairs, --people, --seeds) get their own file beside
// the full grid's, as benchmarks/cope.ts does, so they never overwrite it. Smoke runs keep their own
// fixed file. Arm keys contain `:`, which some file systems reject, so it becomes `_`.
const suffix = smoke
  ? ''
  : [
      which !== 'all' ? `task-${which}` : '',
      armFilter ? `arms-${armFilter.join('+').replaceAll(':', '_')}` : '',
      args.pairs !== undefined && pairs !== (scale === 'spec' ? 2000 : 500) ? `pairs-${pairs}` : '',
      args.people !== undefined && people !== (scale === 'spec' ? 200 : 40) ? `people-${people}` : '',
      args.seeds !== undefined && seeds !== 2 ? `seeds-${seeds}` : '',
    ]
      .filter(Boolean)
      .join('-');
const outPath =
  args.out ??
  join(
    here,
    'results',
    `reverse-train${scale === 'default' ? '' : `-${scale}`}${suffix ? `-${suffix}` : ''}.json`,
  );

// Spec §5: symbolic 2,000 pairs, 150 epochs, 2 layers, context 32; bios 200 people, 40 epochs, 4 layers,
// context 128; both d 128, 4 heads, FFN 512, batch 64, lr 1e-3, 100 warmup steps, weight decay 0.1.
const SPEC: TaskSetup[] = [
  {
    name: 'symbolic',
    make: (seed) => generateSymbolic({ pairs, symbols: 100, seed }),
    epochs: 150,
    model: { dModel: 128, nLayers: 2, nHeads: 4, dFF: 512, maxSeqLen: 32 },
    batchSize: 64,
    lr: 1e-3,
    warmupSteps: 100,
  },
  {
    name: 'bios',
    make: (seed) => generateBios({ people, seed }),
    epochs: 40,
    model: { dModel: 128, nLayers: 4, nHeads: 4, dFF: 512, maxSeqLen: 128 },
    batchSize: 64,
    lr: 1e-3,
    warmupSteps: 100,
  },
];
// The default grid (2 seeds) must finish under an hour on 2 idle cores. Measured CPU time per run (one
// thread, so about the idle wall time): symbolic 500 pairs x 150 epochs ~55 s forward-only and ~110 s
// data-matched; bios as below ~26 s and ~52 s; the 2-seed grid ~30 min. The spec's own N (2,000 pairs,
// 200 people, 4-layer bios) would take several CPU-hours (3-5, extrapolated from those rates), so N is shrunk first (as the spec says), and for
// bios also the epochs, depth and context. Symbolic keeps the spec's training recipe: a batch-16,
// lr-3e-3 recipe at 500 pairs x 80 epochs gave entity 11% reverse against 54% for the spec's recipe.
const DEFAULT: TaskSetup[] = [
  { ...SPEC[0]! },
  {
    name: 'bios',
    make: (seed) => generateBios({ people, seed }),
    epochs: 24,
    model: { dModel: 128, nLayers: 2, nHeads: 4, dFF: 512, maxSeqLen: 96 },
    batchSize: 16,
    lr: 3e-3,
    warmupSteps: 50,
  },
];
const SHRUNK =
  `symbolic: ${pairs} pairs (spec 2,000), otherwise the spec's setup (150 epochs, batch 64, lr 1e-3, 100 warmup steps); ` +
  `bios: ${people} people (200), 24 epochs (40), 2 layers (4), context 96 (128), batch 16 (64), lr 3e-3 (1e-3), 50 warmup steps (100). ` +
  'Why: the spec-sized grid would take 3-5 CPU-hours (extrapolated); this one about 30 CPU-minutes (under an hour on 2 idle cores). ' +
  '--scale spec runs the spec-sized grid; --pairs and --people set N' +
  (args.pairs || args.people ? ' (set here, so the time above does not apply).' : '.');

const SMOKE: TaskSetup[] = [
  {
    name: 'symbolic',
    make: (seed) => generateSymbolic({ pairs: 24, symbols: 50, seed }),
    epochs: 2,
    model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 16 },
    batchSize: 16,
    lr: 1e-3,
    warmupSteps: 1,
  },
  {
    name: 'bios',
    make: (seed) => generateBios({ people: 6, seed }),
    epochs: 2,
    model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxSeqLen: 96 },
    batchSize: 16,
    lr: 1e-3,
    warmupSteps: 1,
  },
];

interface Arm {
  reversal: ReversalInput;
  budget: 'data' | 'compute';
}
// Spec §5 required grid. Standard is the same run under both budgets (forward only, E epochs).
const GRID: Arm[] = [
  { reversal: { mode: 'none' }, budget: 'data' },
  { reversal: { mode: 'word' }, budget: 'data' },
  { reversal: { mode: 'entity' }, budget: 'data' },
  { reversal: { mode: 'segment', k: 1 }, budget: 'data' },
  { reversal: { mode: 'segment', k: 3 }, budget: 'data' },
  { reversal: { mode: 'entity' }, budget: 'compute' },
  { reversal: { mode: 'segment', k: 3 }, budget: 'compute' },
];

interface Row {
  task: string;
  budget: 'data' | 'compute';
  arm: string;
  forward: number;
  reverse: number;
  reverseByGroup: Record<string, number>;
  parts: Record<string, number>;
  tokensSeen: number;
  seconds: number;
  /** CPU seconds per run: the wall time on an idle core (wasm runs on one thread). */
  cpuSeconds: number;
  perSeed: Array<{ seed: number; forward: number; reverse: number }>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const info = await initBackend({ prefer: 'wasm' });
console.log(
  `reverse-train benchmark${smoke ? ' (smoke)' : ''}: backend ${info.name}, accelerator ${info.accelerator.enabled ? 'on' : 'off'}, seeds ${seeds}`,
);
const shrunk =
  scale === 'default'
    ? SHRUNK
    : scale === 'spec'
      ? `the spec's setup (${pairs} pairs, ${people} people)`
      : 'smoke';
if (!smoke) console.log(`setup (--scale ${scale}): ${shrunk}`);

const armKey = (arm: Arm) => `${arm.budget}:${reversalName(arm.reversal)}`;
const grid = GRID.filter((arm) => !armFilter || armFilter.includes(armKey(arm)));
if (grid.length === 0) throw new Error(`--arms ${args.arms}: none of ${GRID.map(armKey).join(', ')}`);
const setups = (scale === 'smoke' ? SMOKE : scale === 'spec' ? SPEC : DEFAULT).filter(
  (s) => which === 'all' || s.name === which,
);
const rows: Row[] = [];
const started = performance.now();
const cpuStart = process.cpuUsage();
/** CPU seconds of this process (all threads) since `from`. */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
for (const setup of setups) {
  const results = new Map<string, ArmResult[]>();
  const answersBySeed = new Map<string, string[]>();
  const cpuByArm = new Map<string, number[]>();
  for (let seed = 1; seed <= seeds; seed++) {
    const task = setup.make(seed);
    const probe = setup.name === 'symbolic' ? task.test.filter((q) => q.direction === 'reverse') : task.test;
    const leaks = findLeaks(task.train, probe);
    if (leaks.length > 0)
      throw new Error(`${setup.name} seed ${seed}: ${leaks.length} test items leak into training`);
    for (const arm of grid) {
      const key = armKey(arm);
      const cpu0 = process.cpuUsage();
      const r = await runArm(task, {
        reversal: arm.reversal,
        budget: arm.budget,
        epochs: setup.epochs,
        seed,
        model: setup.model,
        batchSize: setup.batchSize,
        lr: setup.lr,
        warmupSteps: setup.warmupSteps,
      });
      const cpu = cpuSeconds(cpu0);
      cpuByArm.set(key, [...(cpuByArm.get(key) ?? []), cpu]);
      results.set(key, [...(results.get(key) ?? []), r]);
      if (
        setup.name === 'symbolic' &&
        arm.budget === 'data' &&
        (arm.reversal.mode === 'none' || arm.reversal.mode === 'entity')
      ) {
        answersBySeed.set(`${seed}:${arm.reversal.mode}`, r.answers.reverse);
      }
      if (
        setup.name === 'symbolic' &&
        arm.budget === 'data' &&
        arm.reversal.mode === 'entity' &&
        answersBySeed.has(`${seed}:none`)
      ) {
        // What reversalCurseDemo() shows: a held-out reverse question only the reverse-trained model answers.
        const items = task.test.filter((q) => q.direction === 'reverse');
        const std = answersBySeed.get(`${seed}:none`) ?? [];
        const at = items.findIndex((q, i) => r.answers.reverse[i] === q.answer && std[i] !== q.answer);
        console.log(
          at < 0
            ? '  demo: no reverse question answered by entity and missed by standard'
            : `  demo: "${items[at]!.prompt}" expects "${items[at]!.answer}": standard says "${std[at]}", entity-reverse-trained says "${r.answers.reverse[at]}"`,
        );
      }
      console.log(
        `  ${setup.name} seed ${seed} ${arm.budget.padEnd(7)} ${reversalName(arm.reversal).padEnd(11)} forward ${pct(r.forward.accuracy).padStart(6)} reverse ${pct(r.reverse.accuracy).padStart(6)}  tokens ${r.tokensSeen}  loss ${r.finalLoss.toFixed(3)}  ${(r.trainSeconds + r.evalSeconds).toFixed(0)} s wall, ${cpu.toFixed(0)} s CPU`,
      );
    }
  }
  for (const arm of grid) {
    const key = armKey(arm);
    const rs = results.get(key)!;
    const groups = Object.keys(rs[0]!.reverse.byGroup).sort();
    const partNames = Object.keys(rs[0]!.reverse.parts).sort();
    rows.push({
      task: setup.name,
      budget: arm.budget,
      arm: reversalName(arm.reversal),
      forward: mean(rs.map((r) => r.forward.accuracy)),
      reverse: mean(rs.map((r) => r.reverse.accuracy)),
      reverseByGroup: Object.fromEntries(
        groups.map((g) => [g, mean(rs.map((r) => r.reverse.byGroup[g]?.accuracy ?? 0))]),
      ),
      parts: Object.fromEntries(partNames.map((p) => [p, mean(rs.map((r) => r.reverse.parts[p] ?? 0))])),
      tokensSeen: mean(rs.map((r) => r.tokensSeen)),
      seconds: mean(rs.map((r) => r.trainSeconds + r.evalSeconds)),
      cpuSeconds: mean(cpuByArm.get(key)!),
      perSeed: rs.map((r, i) => ({ seed: i + 1, forward: r.forward.accuracy, reverse: r.reverse.accuracy })),
    });
  }
}

// Tables: one per task and budget; the standard row appears in both (same run).
for (const setup of setups) {
  for (const budget of ['data', 'compute'] as const) {
    const table = rows.filter((r) => r.task === setup.name && (r.budget === budget || r.arm === 'standard'));
    const extra =
      setup.name === 'symbolic'
        ? ['len1', 'len2', 'len3'].map((g) => ({ head: `rev ${g}`, get: (r: Row) => r.reverseByGroup[g] }))
        : ['first', 'last'].map((p) => ({ head: `rev ${p}`, get: (r: Row) => r.parts[p] }));
    console.log(`\n${setup.name}, ${budget}-matched (mean of ${seeds} seed${seeds > 1 ? 's' : ''})`);
    console.log(
      `| arm | forward | reverse | ${extra.map((e) => e.head).join(' | ')} | tokens seen | s/run | CPU s/run |\n|---|---|---|${extra.map(() => '---|').join('')}---|---|---|`,
    );
    for (const r of table) {
      console.log(
        `| ${r.arm} | ${pct(r.forward)} | ${pct(r.reverse)} | ${extra.map((e) => (e.get(r) === undefined ? '-' : pct(e.get(r)!))).join(' | ')} | ${Math.round(r.tokensSeen)} | ${r.seconds.toFixed(0)} | ${r.cpuSeconds.toFixed(0)} |`,
      );
    }
  }
}

// Pass criteria of spec §5.
const find = (task: string, budget: string, arm: string) =>
  rows.find((r) => r.task === task && r.arm === arm && (r.budget === budget || arm === 'standard'));
const checks: Array<{ claim: string; ok: boolean; value: string }> = [];
const check = (claim: string, ok: boolean, value: string) => checks.push({ claim, ok, value });
// The compute-matched criteria are the same for both tasks.
const computeMatchedChecks = (task: string, st: Row, en: Row) => {
  const ce = find(task, 'compute', 'entity')!;
  check(
    `${task} compute-matched: entity reverse ≥ 0.7× data-matched`,
    ce.reverse >= 0.7 * en.reverse,
    `${pct(ce.reverse)} vs ${pct(en.reverse)}`,
  );
  check(
    `${task} compute-matched: entity forward within 10 points of standard`,
    Math.abs(ce.forward - st.forward) <= 0.1,
    `${pct(ce.forward)} vs ${pct(st.forward)}`,
  );
};
// They compare arms, so they need the whole grid (not checked with --arms).
if (!armFilter && setups.some((s) => s.name === 'symbolic')) {
  const st = find('symbolic', 'data', 'standard')!;
  const w = find('symbolic', 'data', 'word')!;
  const en = find('symbolic', 'data', 'entity')!;
  const s1 = find('symbolic', 'data', 'segment(1)')!;
  const s3 = find('symbolic', 'data', 'segment(3)')!;
  const g = (r: Row, k: string) => r.reverseByGroup[k] ?? 0;
  check('symbolic: standard reverse ≤ 2%', st.reverse <= 0.02, pct(st.reverse));
  check('symbolic: entity reverse ≥ 90%', en.reverse >= 0.9, pct(en.reverse));
  check(
    'symbolic: word reverse ≤ 10% on pairs of length 2-3',
    g(w, 'len2') <= 0.1 && g(w, 'len3') <= 0.1,
    `${pct(g(w, 'len2'))} / ${pct(g(w, 'len3'))}`,
  );
  check(
    'symbolic: segment(3) reverse ≥ 50% at every length',
    ['len1', 'len2', 'len3'].every((k) => g(s3, k) >= 0.5),
    ['len1', 'len2', 'len3'].map((k) => pct(g(s3, k))).join(' / '),
  );
  check(
    'symbolic: segment(1) tracks word (within 10 points)',
    Math.abs(s1.reverse - w.reverse) <= 0.1,
    `${pct(s1.reverse)} vs ${pct(w.reverse)}`,
  );
  const minF = Math.min(...rows.filter((r) => r.task === 'symbolic').map((r) => r.forward));
  check('symbolic: forward ≥ 98% in every arm', minF >= 0.98, `min ${pct(minF)}`);
  computeMatchedChecks('symbolic', st, en);
}
if (!armFilter && setups.some((s) => s.name === 'bios')) {
  const st = find('bios', 'data', 'standard')!;
  const w = find('bios', 'data', 'word')!;
  const en = find('bios', 'data', 'entity')!;
  const s3 = find('bios', 'data', 'segment(3)')!;
  check(
    'bios: standard forward ≥ 60% (else the setup is too weak to judge)',
    st.forward >= 0.6,
    pct(st.forward),
  );
  check(
    'bios: standard and word reverse ≤ 3%',
    st.reverse <= 0.03 && w.reverse <= 0.03,
    `${pct(st.reverse)} / ${pct(w.reverse)}`,
  );
  check('bios: entity reverse ≥ 60%', en.reverse >= 0.6, pct(en.reverse));
  check('bios: segment(3) reverse ≥ 40%', s3.reverse >= 0.4, pct(s3.reverse));
  const worst = Math.max(
    ...rows
      .filter((r) => r.task === 'bios' && r.budget === 'data')
      .map((r) => Math.abs(r.forward - st.forward)),
  );
  check(
    'bios: every data-matched arm forward within 5 points of standard',
    worst <= 0.05,
    `worst gap ${(100 * worst).toFixed(1)} points`,
  );
  computeMatchedChecks('bios', st, en);
}
const minutes = (performance.now() - started) / 60_000;
const cpuMinutes = cpuSeconds(cpuStart) / 60;
const timing =
  `${minutes.toFixed(1)} min wall, ${cpuMinutes.toFixed(1)} min CPU ` +
  '(one thread: the CPU time is about the wall time on an idle machine)';
if (armFilter) {
  console.log(`\npass criteria not checked: --arms ran part of the grid. ${timing}.`);
} else {
  console.log('\npass criteria (spec §5)');
  for (const c of checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.claim}: ${c.value}`);
  const passed = checks.filter((c) => c.ok).length;
  console.log(
    `\n${passed} of ${checks.length} criteria hold${smoke ? ' (smoke run: a pipeline check, results are meaningless)' : ''}; ` +
      `the reproduction ${passed === checks.length ? 'COUNTS' : 'does NOT count'} by the spec's rule. ${timing}.`,
  );
}
mkdirSync(dirname(outPath), { recursive: true });
// Temp file + rename, so an interrupted run never leaves a truncated result.
const tmpPath = `${outPath}.${process.pid}.tmp`;
writeFileSync(
  tmpPath,
  `${JSON.stringify({ scale, seeds, arms: armFilter ?? 'all', setup: shrunk, backend: info.name, minutes, cpuMinutes, rows, checks }, null, 2)}\n`,
);
renameSync(tmpPath, outPath);
console.log(`wrote ${outPath}`);
