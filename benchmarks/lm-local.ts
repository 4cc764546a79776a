/**
 * lm-local: tokens per second of batched local generation through
 * LocalModel.generate at batch 1, 8 and 32 (distinct prompts with the same
 * sampling settings, so they decode as one KV-cached batch), beside core's
 * generate() on the same token rows, so LocalModel's own cost (templating,
 * tokenizing, decoding text, stop handling) shows as the gap.
 *
 * Model: 2 layers, d 128, 4 heads, byte tokenizer, 32 new tokens per row, no
 * stop token (every row runs the full length). Median of several runs.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/lm-local.ts [--quick]
 *
 * Writes benchmarks/results/lm-local.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteTokenizer, generate, initBackend, TransformerLM } from '@lab/core';
import { LocalModel } from '@lab/lm';

const quick = process.argv.includes('--quick');
const BATCHES = [1, 8, 32];
const NEW_TOKENS = quick ? 16 : 32;
const REPEATS = quick ? 2 : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const info = await initBackend({ prefer: 'wasm' });
  const tokenizer = new ByteTokenizer();
  const model = new TransformerLM({
    vocabSize: tokenizer.vocabSize,
    dModel: 128,
    nLayers: 2,
    nHeads: 4,
    maxSeqLen: 128,
    seed: 1,
  });
  const local = new LocalModel(model, tokenizer, { stopTokens: [] });
  const prompt = (i: number) => `Question ${i}: what is ${i} plus ${i + 1}? Answer:`;

  const rows: {
    batch: number;
    localTokensPerSecond: number;
    coreTokensPerSecond: number;
    msPerStep: number;
  }[] = [];
  for (const batch of BATCHES) {
    const requests = Array.from({ length: batch }, (_, i) => ({
      prompt: prompt(i),
      maxTokens: NEW_TOKENS,
      temperature: 0.8,
    }));
    const ids = requests.map((r) => local.encodePrompt(r.prompt));
    await local.generate(requests.slice(0, 1).map((r) => ({ ...r, maxTokens: 2 }))); // warm-up
    const localTimes: number[] = [];
    const coreTimes: number[] = [];
    const runLocal = async () => {
      const t0 = performance.now();
      const out = await local.generate(requests);
      localTimes.push(performance.now() - t0);
      const produced = out.reduce((a, r) => a + r.samples[0]!.completionTokens, 0);
      if (produced !== batch * NEW_TOKENS)
        throw new Error(`batch ${batch}: ${produced} tokens, expected ${batch * NEW_TOKENS}`);
    };
    const runCore = async (k: number) => {
      const t0 = performance.now();
      await generate(model, ids, { maxNewTokens: NEW_TOKENS, doSample: true, temperature: 0.8, seed: k });
      coreTimes.push(performance.now() - t0);
    };
    // Alternate which goes first: on a busy machine the first of a pair is often slower.
    for (let k = 0; k < REPEATS; k++) {
      if (k % 2 === 0) {
        await runLocal();
        await runCore(k);
      } else {
        await runCore(k);
        await runLocal();
      }
    }
    const tl = median(localTimes);
    const tc = median(coreTimes);
    rows.push({
      batch,
      localTokensPerSecond: (batch * NEW_TOKENS * 1000) / tl,
      coreTokensPerSecond: (batch * NEW_TOKENS * 1000) / tc,
      msPerStep: tl / NEW_TOKENS,
    });
  }

  console.log(
    `\nlm-local (backend ${info.name}; ${NEW_TOKENS} new tokens per row; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)\n`,
  );
  console.log('| batch | LocalModel tokens/s | core generate tokens/s | ms per step (LocalModel) |');
  console.log('|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.batch} | ${r.localTokensPerSecond.toFixed(0)} | ${r.coreTokensPerSecond.toFixed(0)} | ${r.msPerStep.toFixed(2)} |`,
    );
  }
  const speedup = rows.at(-1)!.localTokensPerSecond / rows[0]!.localTokensPerSecond;
  console.log(`\nbatch ${rows.at(-1)!.batch} vs batch 1: ${speedup.toFixed(1)}x tokens/s`);

  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'lm-local.json'),
    `${JSON.stringify({ backend: info.name, quick, rows }, null, 2)}\n`,
  );
}

await main();
