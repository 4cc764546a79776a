/**
 * core-matmul: float32 matmul throughput (GFLOP/s) on the tiny GPT's shapes
 * and the square references, every transpose case, on plain tfjs wasm, wasm
 * with the @lab/core-native accelerator, tfjs cpu (small shapes only) and
 * numpy/OpenBLAS on 1 thread (benchmarks/core-matmul.py). Prints one table
 * and writes benchmarks/results/core-matmul.json.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/core-matmul.ts [--quick]
 *
 * --quick: fewer shapes and a shorter time per cell (a smoke run).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '@lab/core';

interface Shape {
  name: string;
  batch?: number;
  m: number;
  k: number;
  n: number;
  /** Run on tfjs cpu too (it does ~0.4 GFLOP/s, so only small products). */
  cpu: boolean;
}

// The tiny GPT of core-train: batch*seq 1024 tokens, d 128, 4 heads of 32, seq 64, ffn 512.
const SHAPES: Shape[] = [
  { name: 'qkv 1024x128x384', m: 1024, k: 128, n: 384, cpu: false },
  { name: 'out proj 1024x128x128', m: 1024, k: 128, n: 128, cpu: true },
  { name: 'ffn up 1024x128x512', m: 1024, k: 128, n: 512, cpu: false },
  { name: 'ffn down 1024x512x128', m: 1024, k: 512, n: 128, cpu: false },
  { name: 'attn scores [64,64,32]x[64,32,64]', batch: 64, m: 64, k: 32, n: 64, cpu: true },
  { name: 'attn values [64,64,64]x[64,64,32]', batch: 64, m: 64, k: 64, n: 32, cpu: true },
  { name: '512^3', m: 512, k: 512, n: 512, cpu: false },
  { name: '1024^3', m: 1024, k: 1024, n: 1024, cpu: false },
];
const QUICK_SHAPES = new Set(['qkv 1024x128x384', 'attn scores [64,64,32]x[64,32,64]', '512^3']);
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** Single-thread BLAS figures measured earlier on this kind of machine (shared/PERF-NOTES.md). */
const PERF_NOTES =
  'PERF-NOTES (earlier run): numpy/OpenBLAS 1 thread 29.6 (512^3), 33.0 (1024^3), 26.8 (batch [8,128,64]x[8,64,128]); ' +
  'addon prototype 30-34 (large, any transpose), 17-20 (batched attention); tfjs wasm 15 plain, ~1 transposed or batched';

const quick = process.argv.includes('--quick');
const budgetMs = quick ? 150 : 400;
const here = dirname(fileURLToPath(import.meta.url));

interface Cell {
  id: string;
  shape: string;
  transposeA: boolean;
  transposeB: boolean;
  wasm?: number;
  native?: number;
  cpu?: number;
  numpy?: number;
}

function flops(s: Shape): number {
  return 2 * (s.batch ?? 1) * s.m * s.n * s.k;
}

function operand(
  batch: number | undefined,
  rows: number,
  cols: number,
  transpose: boolean,
  seed: number,
): tf.Tensor {
  const shape = transpose ? [cols, rows] : [rows, cols];
  return tf.randomNormal(batch === undefined ? shape : [batch, ...shape], 0, 1, 'float32', seed);
}

/**
 * Best GFLOP/s of tf.matMul after one warm-up call, repeated until the time
 * budget is spent (at least 3 runs). Best, not median: on a shared machine the
 * slow runs measure the neighbours; numpy is timed the same way.
 */
function measure(s: Shape, transposeA: boolean, transposeB: boolean): number {
  const a = operand(s.batch, s.m, s.k, transposeA, 1);
  const b = operand(s.batch, s.k, s.n, transposeB, 2);
  tf.matMul(a, b, transposeA, transposeB).dispose();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t0 = performance.now();
    const c = tf.matMul(a, b, transposeA, transposeB);
    c.dataSync(); // wasm kernels are synchronous; this only guards against a lazy backend
    times.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  return flops(s) / (Math.min(...times) * 1e6);
}

function runNumpy(cells: Cell[], shapes: Shape[]): { label: string; byId: Map<string, number> } {
  const input = cells.map((c) => {
    const s = shapes.find((x) => x.name === c.shape)!;
    return {
      id: c.id,
      batch: s.batch,
      m: s.m,
      k: s.k,
      n: s.n,
      transposeA: c.transposeA,
      transposeB: c.transposeB,
    };
  });
  const run = spawnSync('/usr/bin/python3', [join(here, 'core-matmul.py')], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) {
    return {
      label: `numpy unavailable: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`,
      byId: new Map(),
    };
  }
  const parsed = JSON.parse(run.stdout) as {
    numpy: string;
    blas: string | null;
    results: { id: string; gflops: number }[];
  };
  return {
    label: `numpy ${parsed.numpy}, ${parsed.blas ?? 'BLAS unknown'}, 1 thread`,
    byId: new Map(parsed.results.map((r) => [r.id, r.gflops])),
  };
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toFixed(1);
}

async function main(): Promise<void> {
  const shapes = quick ? SHAPES.filter((s) => QUICK_SHAPES.has(s.name)) : SHAPES;
  const cells: Cell[] = [];
  for (const s of shapes) {
    for (const [transposeA, transposeB] of TRANSPOSES) {
      cells.push({ id: `${s.name}|${transposeA}|${transposeB}`, shape: s.name, transposeA, transposeB });
    }
  }
  const shapeOf = (c: Cell) => shapes.find((s) => s.name === c.shape)!;

  const plain = await initBackend({ prefer: 'wasm', native: false });
  for (const c of cells) c.wasm = measure(shapeOf(c), c.transposeA, c.transposeB);

  const accelerated = await initBackend({ prefer: 'wasm' });
  const nativeLabel = accelerated.accelerator.enabled
    ? `wasm + @lab/core-native: ${accelerated.accelerator.reason}`
    : `wasm + @lab/core-native: OFF (${accelerated.accelerator.reason})`;
  if (accelerated.accelerator.enabled) {
    for (const c of cells) c.native = measure(shapeOf(c), c.transposeA, c.transposeB);
  }

  await initBackend({ prefer: 'cpu' });
  for (const c of cells) {
    const s = shapeOf(c);
    // cpu on the untransposed case only: its speed does not depend on the flags.
    if (s.cpu && !quick && !c.transposeA && !c.transposeB) c.cpu = measure(s, false, false);
  }

  const numpy = runNumpy(cells, shapes);
  for (const c of cells) c.numpy = numpy.byId.get(c.id);

  const header = [
    'case',
    'tA',
    'tB',
    'wasm',
    'wasm+native',
    'cpu',
    'numpy 1T',
    'native/numpy',
    'native/wasm',
  ];
  const rows = cells.map((c) => [
    c.shape,
    c.transposeA ? 'T' : '-',
    c.transposeB ? 'T' : '-',
    fmt(c.wasm),
    fmt(c.native),
    fmt(c.cpu),
    fmt(c.numpy),
    c.native !== undefined && c.numpy !== undefined ? `${(c.native / c.numpy).toFixed(2)}x` : '-',
    c.native !== undefined && c.wasm !== undefined ? `${(c.native / c.wasm).toFixed(1)}x` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `| ${r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  console.log(
    `\nfloat32 matmul, GFLOP/s (best run of each cell; higher is better)${quick ? ' [quick]' : ''}`,
  );
  console.log(
    `wasm: tfjs-backend-wasm ${tf.version_core}, SIMD ${plain.simd}, no threads, with @lab/core's plain-wasm kernels` +
      ` unless LAB_WASM_KERNELS=0 (${process.env.LAB_WASM_KERNELS === '0' ? 'off' : 'on'} in this run)`,
  );
  console.log(nativeLabel);
  console.log(numpy.label);
  console.log(PERF_NOTES);
  console.log(line(header));
  console.log(
    `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const r of rows) console.log(line(r));

  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'core-matmul.json'),
    `${JSON.stringify({ date: new Date().toISOString(), quick, accelerator: accelerated.accelerator, numpy: numpy.label, cells }, null, 2)}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
