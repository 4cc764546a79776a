/**
 * lm-throughput: requests per second of OpenAICompatibleModel against
 * serveOpenAI on loopback, at client concurrency 1, 4, 16 and 64, serving
 *  (a) ScriptedModel, an instant model, so the numbers are the HTTP + JSON +
 *      client plumbing alone;
 *  (b) a tiny LocalModel (2-layer TransformerLM, byte tokenizer, 8 new tokens),
 *      where the server batches concurrent requests into one decode call.
 * Then the client's own overhead per request: the client's latency at
 * concurrency 1 minus a bare fetch() of the same body to the same server, and
 * minus calling the model in-process.
 *
 * Client and server share one process and the 2 cores, so (a) is a floor on
 * plumbing cost, not a server benchmark.
 *
 *   pnpm exec tsx --conditions=@lab/source benchmarks/lm-throughput.ts [--quick]
 *
 * Writes benchmarks/results/lm-throughput.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteTokenizer, initBackend, TransformerLM } from '@lab/core';
import {
  type GenerateRequestInput,
  type LanguageModel,
  LocalModel,
  OpenAICompatibleModel,
  ScriptedModel,
  serveOpenAI,
} from '@lab/lm';

const quick = process.argv.includes('--quick');
const CONCURRENCY = [1, 4, 16, 64];

interface Row {
  model: string;
  concurrency: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Little's law: concurrency / throughput, the mean time a request holds a slot. */
  inFlightMs: number;
}

function chat(i: number, maxTokens: number): GenerateRequestInput {
  return {
    id: `r${i}`,
    messages: [{ role: 'user', content: `question number ${i}` }],
    maxTokens,
    temperature: 0,
  };
}

/** Sends `total` single requests, keeping `concurrency` in flight (the client's limiter does the bounding). */
async function run(
  model: LanguageModel,
  label: string,
  concurrency: number,
  total: number,
  maxTokens: number,
): Promise<Row> {
  const server = await serveOpenAI(model, { port: 0, maxBatch: 64 });
  try {
    const client = new OpenAICompatibleModel({
      baseURL: server.url,
      model: model.id,
      concurrency,
      maxRetries: 0,
    });
    await client.generate([chat(-1, maxTokens)]); // warm-up (connection, JIT)
    const start = performance.now();
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        // One generate() per request, as a pipeline stage calls it; the limiter queues the rest.
        const [r] = await client.generate([chat(i, maxTokens)]);
        if (r?.samples.length !== 1) throw new Error(`request ${i}: no sample`);
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    if (client.stats.attempts !== total + 1)
      throw new Error(`expected ${total + 1} HTTP calls, made ${client.stats.attempts}`);
    return {
      model: label,
      concurrency,
      requests: total,
      seconds,
      requestsPerSecond: total / seconds,
      inFlightMs: (concurrency * 1000 * seconds) / total,
    };
  } finally {
    await server.close();
  }
}

/** Median ms per request of `fn` over `n` sequential calls (after warm-up). */
async function perCall(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function overhead(model: LanguageModel, n: number) {
  const server = await serveOpenAI(model, { port: 0 });
  try {
    const client = new OpenAICompatibleModel({ baseURL: server.url, model: model.id, concurrency: 1 });
    const body = (i: number) =>
      JSON.stringify({
        model: model.id,
        messages: [{ role: 'user', content: `question number ${i}` }],
        max_tokens: 32,
        temperature: 0,
      });
    const rawFetch = await perCall(n, async (i) => {
      const res = await fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(i),
      });
      await res.json();
    });
    const viaClient = await perCall(n, (i) => client.generate([chat(i, 32)]));
    const inProcess = await perCall(n, (i) => model.generate([chat(i, 32)]));
    return { rawFetchMs: rawFetch, clientMs: viaClient, inProcessMs: inProcess };
  } finally {
    await server.close();
  }
}

function table(rows: Row[]): void {
  console.log('| model | concurrency | requests | req/s | mean ms in flight |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${r.concurrency} | ${r.requests} | ${r.requestsPerSecond.toFixed(1)} | ${r.inFlightMs.toFixed(2)} |`,
    );
  }
}

async function main(): Promise<void> {
  const info = await initBackend({ prefer: 'wasm' });
  const rows: Row[] = [];

  const scripted = new ScriptedModel({ id: 'scripted' });
  for (const c of CONCURRENCY)
    rows.push(await run(scripted, 'scripted (instant)', c, quick ? 200 : 2000, 32));

  const tokenizer = new ByteTokenizer();
  const lm = new TransformerLM({
    vocabSize: tokenizer.vocabSize,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    maxSeqLen: 128,
    seed: 1,
  });
  const local = new LocalModel(lm, tokenizer, { id: 'tiny-local', stopTokens: [] });
  for (const c of CONCURRENCY)
    rows.push(await run(local, 'tiny LocalModel, 8 tokens', c, quick ? 32 : 128, 8));

  console.log(
    `\nlm-throughput (backend ${info.name}; client and server in one process on loopback; ` +
      `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)\n`,
  );
  table(rows);

  const o = await overhead(scripted, quick ? 200 : 1000);
  console.log('\nper-request cost at concurrency 1 (median, scripted model):\n');
  console.log('| path | ms/request |');
  console.log('|---|---:|');
  console.log(`| model.generate in process | ${o.inProcessMs.toFixed(3)} |`);
  console.log(`| bare fetch + JSON.parse to serveOpenAI | ${o.rawFetchMs.toFixed(3)} |`);
  console.log(`| OpenAICompatibleModel.generate | ${o.clientMs.toFixed(3)} |`);
  console.log(
    `\nclient's own overhead over a bare fetch: ${(o.clientMs - o.rawFetchMs).toFixed(3)} ms/request ` +
      `(validation, limiter, retry wrapper, response schema)`,
  );

  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'lm-throughput.json'),
    `${JSON.stringify({ backend: info.name, quick, rows, overhead: o }, null, 2)}\n`,
  );
}

await main();
