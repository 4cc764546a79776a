import { generateWordProblems } from '@lab/tasks';
import { describe, expect, it } from 'vitest';
import {
  bm25SearchTool,
  CoAModel,
  entityPickerTool,
  fewShotPrompt,
  parseChain,
  TraceRecordSchema,
} from '../src/index.js';
import { SimulatedChainModel } from './helpers.js';

const problems = generateWordProblems({ n: 6, seed: 11, minSteps: 2, maxSteps: 3 });
const chains = new Map(problems.map((p) => [p.question, ` ${p.coa}`]));
const questions = problems.map((p) => ({ id: p.id, question: p.question, gold: p.answer }));

describe('CoAModel executors', () => {
  it('pipelined: answers every question and overlaps decoding with reification', async () => {
    const coa = new CoAModel(new SimulatedChainModel(chains, 0.2), [], { mathLatencyMs: 15 });
    const run = await coa.runPipelined(questions);
    expect(run.results.map((r) => r.correct)).toEqual(questions.map(() => true));
    expect(run.results.map((r) => r.prediction)).toEqual(problems.map((p) => p.answer));
    // question i+1 starts decoding before question i's tools finish
    const overlaps = run.results.slice(0, -1).filter((r, i) => run.results[i + 1].tDecodeStart < r.tReifyEnd);
    expect(overlaps.length).toBeGreaterThan(0);
    // tool time is real: each chain waits 15 ms per level of math calls
    for (const [i, r] of run.results.entries())
      expect(r.toolMs).toBeGreaterThanOrEqual(14 * problems[i].nSteps);
    for (const t of run.traces) expect(() => TraceRecordSchema.parse(t)).not.toThrow();
    expect(run.timing).toMatchObject({ mode: 'pipelined', n: 6, tool_latency_ms: 15, kv_cache: false });
  });

  it('interleaved: stops at each call, blocks on it, resumes; same answers', async () => {
    const model = new SimulatedChainModel(chains, 0.2);
    const coa = new CoAModel(model, [], { mathLatencyMs: 15 });
    const run = await coa.runInterleaved(questions);
    expect(run.results.map((r) => r.prediction)).toEqual(problems.map((p) => p.answer));
    const nCalls = problems.reduce((a, p) => a + p.nSteps, 0);
    expect(model.calls).toBe(nCalls + problems.length); // one resume per call, plus the tail
    // strictly sequential: question i+1 starts after question i ends
    for (let i = 1; i < run.results.length; i++) {
      expect(run.results[i].tDecodeStart).toBeGreaterThanOrEqual(run.results[i - 1].tReifyEnd - 1e-6);
    }
    for (const [i, r] of run.results.entries())
      expect(r.toolMs).toBeGreaterThanOrEqual(14 * problems[i].nSteps);
  });

  it('runs tool chains through a user tool and the shipped tools', async () => {
    const docs = [
      { id: 'a', title: 'Alien', text: 'Alien is a 1979 film directed by Ridley Scott.' },
      { id: 'r', title: 'Ridley Scott', text: 'Ridley Scott was born in South Shields, England.' },
    ];
    const q = 'Where was the director of Alien born?';
    const chain =
      ' The director is [director of Alien -Wiki-> y1] [y1 -NER(person)-> y2], born in [y2 born -Wiki-> y3] [y3 -NER(location)-> y4]. The answer is y4.';
    const model = new SimulatedChainModel(new Map([[q, chain]]), 0);
    const coa = new CoAModel(model, [bm25SearchTool(docs), entityPickerTool()]);
    const r = await coa.answer({ question: q, gold: 'South Shields' });
    expect(r.prediction).toBe('South Shields');
    expect(r.correct).toBe(true);
    const inter = await coa.runInterleaved([{ question: q }]);
    expect(inter.results[0].prediction).toBe('South Shields');
    expect(inter.results[0].reification.calls.every((c) => c.status === 'ok')).toBe(true);
  });

  it('scores numbers numerically and text exactly (an unresolved "y3" never matches 3)', async () => {
    const cases = [
      { question: 'Q1', chain: ' [1,000 + 250 = y1]. The answer is y1.', gold: '1,250', want: true },
      { question: 'Q2', chain: ' [1 / 4 = y1]. The answer is y1.', gold: 0.25, want: true },
      { question: 'Q3', chain: ' [1 + 2 = y1]. The answer is y1.', gold: '4', want: false },
      { question: 'Q4', chain: ' The answer is y3 apples.', gold: 3, want: false },
      { question: 'Q5', chain: ' The answer is South Shields.', gold: 'south shields', want: true },
    ];
    const model = new SimulatedChainModel(new Map(cases.map((c) => [c.question, c.chain])), 0);
    const coa = new CoAModel(model, []);
    for (const c of cases) {
      const r = await coa.answer({ question: c.question, gold: c.gold });
      expect([c.question, r.correct]).toEqual([c.question, c.want]);
    }
  });

  it('few-shot exemplars parse and reify cleanly', () => {
    const p = fewShotPrompt('What is 2 + 2?');
    expect(p.endsWith('Question: What is 2 + 2?\nAnswer:')).toBe(true);
    const chains = [...p.matchAll(/Answer: (.+)/g)].map((m) => m[1]);
    expect(chains).toHaveLength(6);
    for (const c of chains) expect(parseChain(c).issues).toEqual([]);
  });

  it('rejects interleaving in chat format', async () => {
    const coa = new CoAModel(new SimulatedChainModel(chains, 0), [], { format: 'chat' });
    await expect(coa.runInterleaved(questions)).rejects.toMatchObject({ code: 'COA_UNSUPPORTED' });
  });
});
