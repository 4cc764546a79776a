/**
 * core-generate: decoding speed of the tiny GPT of the core benchmarks
 * (2 layers, d 128, 4 heads, vocab 256) on the wasm backend, with and without
 * the KV cache, at contexts of 32, 128 and 512 tokens. With the cache, the
 * time per new token should stay nearly flat as the context grows (each step
 * feeds one token and attends over the cached keys); without it, each step
 * recomputes the whole prefix, so the time grows with the context.
 *
 * Per-token time is measured between the first and the last generated token
 * (the prompt's prefill is reported apart). Median of several runs.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/core-generate.ts [--quick] [--no-native]
 *
 * Writes benchmarks/results/core-generate.json (core-generate-plain.json with
 * --no-native or when the accelerator is off, so the two arms do not overwrite each other).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, initBackend, TransformerLM } from '@lab/core';

const quick = process.argv.includes('--quick');
const native = !process.argv.includes('--no-native');
const CONTEXTS = [32, 128, 512];
const NEW_TOKENS = quick ? 8 : 24;
const REPEATS = quick ? 2 : 5;
/** Cached per-token time at the longest context over the shortest: at most this counts as "nearly flat". */
const FLAT_RATIO = 1.5;

interface Row {
  context: number;
  cache: boolean;
  prefillMs: number;
  perTokenMs: number;
  tokensPerSecond: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function measure(model: TransformerLM, prompt: number[], useCache: boolean): Promise<[number, number]> {
  const stamps: number[] = [];
  const start = performance.now();
  await generate(model, [prompt], {
    maxNewTokens: NEW_TOKENS,
    useCache,
    onStep: () => {
      stamps.push(performance.now());
    },
  });
  const prefill = stamps[0]! - start;
  const perToken = (stamps.at(-1)! - stamps[0]!) / (stamps.length - 1);
  return [prefill, perToken];
}

async function main(): Promise<void> {
  const info = await initBackend({ prefer: 'wasm', native });
  const model = new TransformerLM({
    vocabSize: 256,
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    maxSeqLen: 640,
    seed: 0,
  });
  model.eval();
  // A fixed pseudo-random prompt (no model output feeds back into timing).
  const tokens = Array.from({ length: Math.max(...CONTEXTS) }, (_, i) => (i * 7919 + 13) % 256);
  await measure(model, tokens.slice(0, 16), true); // warm-up: kernels, heap growth
  await measure(model, tokens.slice(0, 16), false);

  const rows: Row[] = [];
  for (const context of CONTEXTS) {
    for (const cache of [true, false]) {
      const prefills: number[] = [];
      const perTokens: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const [p, t] = await measure(model, tokens.slice(0, context), cache);
        prefills.push(p);
        perTokens.push(t);
      }
      const perTokenMs = median(perTokens);
      rows.push({
        context,
        cache,
        prefillMs: median(prefills),
        perTokenMs,
        tokensPerSecond: 1000 / perTokenMs,
      });
    }
  }
  model.dispose();

  const backend = `${info.name}${info.accelerator.enabled ? ' + native' : ''}`;
  console.log(
    `core-generate: tiny GPT (2 layers, d 128, 4 heads, vocab 256), batch 1, ${NEW_TOKENS} new tokens, backend ${backend}`,
  );
  const header = ['context', 'KV cache', 'prefill ms', 'ms / token', 'tokens/s'];
  const body = rows.map((r) => [
    String(r.context),
    r.cache ? 'yes' : 'no',
    r.prefillMs.toFixed(1),
    r.perTokenMs.toFixed(2),
    r.tokensPerSecond.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));

  const cached = rows.filter((r) => r.cache);
  const uncached = rows.filter((r) => !r.cache);
  const ratio = cached.at(-1)!.perTokenMs / cached[0]!.perTokenMs;
  const flat = ratio <= FLAT_RATIO;
  const speedups = CONTEXTS.map((_c, i) => uncached[i]!.perTokenMs / cached[i]!.perTokenMs);
  console.log(
    `\nwith the cache, ms/token at context ${CONTEXTS.at(-1)} is ${ratio.toFixed(2)}x that at ${CONTEXTS[0]}: ` +
      (flat ? `nearly flat (<= ${FLAT_RATIO}x)` : `NOT flat (> ${FLAT_RATIO}x)`),
  );
  console.log(
    `cache speed-up per token: ${CONTEXTS.map((c, i) => `${c}: ${speedups[i]!.toFixed(1)}x`).join(', ')}`,
  );

  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'results'), { recursive: true });
  const out = join(
    here,
    'results',
    info.accelerator.enabled ? 'core-generate.json' : 'core-generate-plain.json',
  );
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        benchmark: 'core-generate',
        date: new Date().toISOString(),
        backend: info,
        model: { nLayers: 2, dModel: 128, nHeads: 4, vocabSize: 256, maxSeqLen: 640 },
        newTokens: NEW_TOKENS,
        repeats: REPEATS,
        rows,
        cachedRatioLongestToShortest: ratio,
        flat,
        flatThreshold: FLAT_RATIO,
        speedups: Object.fromEntries(CONTEXTS.map((c, i) => [c, speedups[i]])),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${out}`);
  if (!flat) process.exitCode = 1;
}

await main();
