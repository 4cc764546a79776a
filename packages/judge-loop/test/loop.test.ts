import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OpenAICompatibleModel,
  type OpenAIServer,
  readPreferenceJsonl,
  readSftJsonl,
  ScriptedModel,
  serveOpenAI,
} from '@lab/lm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPairs,
  evaluateJudge,
  externalTrainer,
  type IterationInfo,
  type PairRecord,
  runJudgeLoop,
  sampleJudgments,
  selectInstructions,
  selfTaughtJudge,
  type TrainingJob,
} from '../src/index.js';
import { scriptedGenerator, scriptedJudge } from './scripted-world.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'judge-loop-loop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WORDS = ['apple', 'river', 'stone', 'cloud', 'maple', 'ember', 'frost', 'grain'];
const instructions = WORDS.map((w, i) => ({ id: `i${i}`, prompt: `Say the word ${w}` }));

async function makePairs(runDir: string): Promise<PairRecord[]> {
  const { pairs, dropped } = await buildPairs({
    runDir,
    instructions,
    generator: scriptedGenerator(),
    progress: false,
  });
  expect(dropped).toEqual([]);
  return pairs;
}

describe('stages', () => {
  it('tags, filters and subsamples instructions with a seed, and logs the selection', async () => {
    const runDir = join(dir, 'select');
    // A replaced template (the raw instruction) and a tagger that reads it.
    const { instructions: kept, counts } = await selectInstructions({
      runDir,
      instructions,
      tagger: new ScriptedModel({
        rule: (r) => `Category: ${/word ([a-m])/.test(r.prompt ?? '') ? 'reasoning' : 'chat'}`,
      }),
      categories: ['reasoning', 'chat'],
      keep: ['reasoning'],
      limit: 2,
      seed: 3,
      template: (p) => p,
      progress: false,
    });
    expect(counts.reasoning! + counts.chat!).toBe(WORDS.length);
    expect(kept).toHaveLength(2);
    expect(kept.every((x) => x.category === 'reasoning')).toBe(true);
    const log = JSON.parse(await readFile(join(runDir, 'instructions.selected.json'), 'utf8'));
    expect(log.ids).toEqual(kept.map((x) => x.id));
    expect(log.seed).toBe(3);
  });

  it('without a tagger keeps everything untagged, subsampled by seed into a fresh folder', async () => {
    const runDir = join(dir, 'select-untagged', 'nested');
    const a = await selectInstructions({ runDir, instructions, limit: 5, seed: 1 });
    const b = await selectInstructions({ runDir, instructions, limit: 5, seed: 1 });
    expect(a.instructions).toHaveLength(5);
    expect(b.instructions).toEqual(a.instructions);
    expect(a.counts).toEqual({ untagged: WORDS.length });
    expect(a.instructions.every((x) => x.category === null)).toBe(true);
  });

  it('builds pairs with the default prompts and parser', async () => {
    const pairs = await makePairs(join(dir, 'pairs'));
    expect(pairs[0]).toEqual({
      id: 'i0',
      prompt: 'Say the word apple',
      chosen: 'apple',
      rejected: 'applex',
      modified_prompt: 'Say the word applex',
      generator: 'scripted-generator',
      category: null,
    });
  });

  it('judgment sampling resumes after an interruption, skipping done records', async () => {
    const runDir = join(dir, 'resume');
    const pairs = await makePairs(runDir);
    const controller = new AbortController();
    const first = scriptedJudge('judge', (i) => i === 1);
    const firstGenerate = first.generate.bind(first);
    let calls = 0;
    first.generate = async (requests, options) => {
      if (++calls === 5) controller.abort(new Error('interrupted'));
      return firstGenerate(requests, options);
    };
    const options = {
      runDir,
      pairs,
      iteration: 1,
      samplesPerOrder: 3,
      batchSize: 1,
      concurrency: 1,
      progress: false,
    };
    await expect(sampleJudgments({ ...options, model: first, signal: controller.signal })).rejects.toThrow();
    const doneLines = (await readFile(join(runDir, 'judgments.jsonl'), 'utf8')).trim().split('\n').length;
    expect(doneLines).toBe(5);

    const second = scriptedJudge('judge', (i) => i === 1);
    const judgments = await sampleJudgments({ ...options, model: second });
    expect(second.calls).toHaveLength(2 * pairs.length - doneLines);
    expect(judgments).toHaveLength(2 * pairs.length * 3);
    // Identical to an uninterrupted run.
    const clean = await sampleJudgments({
      ...options,
      runDir: join(dir, 'clean'),
      model: scriptedJudge('judge', (i) => i === 1),
    });
    expect(judgments).toEqual(clean);
    for (const j of judgments) {
      expect(j.correct).toBe(j.sample_idx !== 1);
      expect(j.gold).toBe(j.order === '0_1' ? 'A' : 'B');
    }
  });
});

describe('runJudgeLoop', () => {
  let servers: OpenAIServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('runs iterations against serveOpenAI on loopback and continues with the endpoint the external trainer returns', async () => {
    const runDir = join(dir, 'external');
    // Roles are served over HTTP like vLLM would serve them; the loop only sees OpenAICompatibleModels.
    const generatorServer = await serveOpenAI(scriptedGenerator(), { port: 0 });
    // The seed judge: wrong on one sample in three.
    const seedJudge = scriptedJudge('seed', (i) => i % 3 === 2);
    const seedServer = await serveOpenAI(seedJudge, { port: 0 });
    servers.push(generatorServer, seedServer);
    const generator = new OpenAICompatibleModel({
      baseURL: generatorServer.url,
      model: 'scripted-generator',
    });
    const seed = new OpenAICompatibleModel({ baseURL: seedServer.url, model: 'seed' });
    const { pairs } = await buildPairs({ runDir, instructions, generator, progress: false });
    expect(pairs).toHaveLength(WORDS.length);

    const jobs: TrainingJob[] = [];
    const trained: ScriptedModel[] = [];
    const train = externalTrainer(async (job) => {
      jobs.push(job);
      // What a TRL/OpenRLHF job would read.
      const sft = await readSftJsonl(job.files.sft);
      expect(sft).toHaveLength(job.sft.length);
      expect(Array.isArray(sft[0]!.prompt)).toBe(true); // chat prompts export in conversational form
      expect(sft[0]!.completion).toEqual([{ role: 'assistant', content: job.sft[0]!.completion }]);
      if (job.method === 'dpo')
        expect(await readPreferenceJsonl(job.files.dpo!)).toHaveLength(job.dpo.length);
      // "Training" yields a better judge, served as the next checkpoint.
      const model = scriptedJudge(`judge-it${job.iteration}`, () => false);
      trained.push(model);
      const server = await serveOpenAI(model, { port: 0 });
      servers.push(server);
      return { baseURL: server.url, model: model.id };
    });
    const infos: IterationInfo[] = [];
    const heldOut = WORDS.map((w, i) => ({
      id: i,
      prompt: `Say the word ${w}`,
      chosen: w,
      rejected: `${w}s`,
      subset: 'words',
    }));
    const accuracy: number[] = [];
    const result = await runJudgeLoop({
      runDir,
      pairs,
      seed,
      iterations: 2,
      samplesPerOrder: 3,
      method: (i) => (i === 2 ? 'dpo' : 'sft'),
      train,
      progress: false,
      onIteration: async (info) => {
        infos.push(info);
        const { report } = await evaluateJudge(selfTaughtJudge(info.model, { bothOrders: false }), heldOut, {
          sections: {},
        });
        accuracy.push(report.meanBothOrders.overall);
      },
    });
    expect(jobs.map((j) => [j.iteration, j.method])).toEqual([
      [1, 'sft'],
      [2, 'dpo'],
    ]);
    // Iteration 1 sampled the seed through its server; iteration 2 sampled M1 through the returned endpoint.
    expect(seedJudge.calls.length).toBe(2 * WORDS.length);
    expect(seedJudge.calls.every((c) => c.n === 3 && c.topP === 0.9 && c.temperature === 0.7)).toBe(true);
    expect(trained[0]!.calls.length).toBeGreaterThanOrEqual(2 * WORDS.length);
    expect(jobs[1]!.previous).toBe(infos[0]!.model);
    // Seed: 2 of 3 samples right → every input usable, A/B balanced.
    expect(infos[0]!.stats.sampleAccuracy).toBeCloseTo(2 / 3, 12);
    expect(jobs[0]!.sft).toHaveLength(2 * WORDS.length);
    expect(jobs[0]!.sft.every((r) => r.completion.endsWith(`[[${r.gold}]]`))).toBe(true);
    // M1 is always right → no negatives → no DPO pairs (the loop still hands the job over).
    expect(infos[1]!.stats.sampleAccuracy).toBe(1);
    expect(jobs[1]!.dpo).toEqual([]);
    expect(accuracy).toEqual([1, 1]);
    expect(result.model).toBe(infos[1]!.model);
    const selection = JSON.parse(await readFile(join(runDir, 'iter-1', 'selection.json'), 'utf8'));
    expect(selection.keptGoldA).toBe(selection.keptGoldB);

    // A rerun resumes: no judge is asked again for iteration 1 (its stage file is complete).
    const before = seedJudge.calls.length;
    await runJudgeLoop({ runDir, pairs, seed, iterations: 1, samplesPerOrder: 3, train, progress: false });
    expect(seedJudge.calls.length).toBe(before);
  });
});
