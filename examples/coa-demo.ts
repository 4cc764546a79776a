/**
 * Chain-of-Abstraction demo (@lab/coa): a chain, its placeholders filled by
 * tools, and the wall-clock of the pipelined and interleaved executors.
 *
 * The "model" here decodes the gold abstract chain of each @lab/tasks world
 * problem at a fixed cost per character, so the timing shows the executors,
 * not a model's quality (benchmarks/coa.ts trains real tiny models). Each math
 * call waits a stated latency, as an external solver service would.
 *
 *   pnpm exec tsx --conditions=@lab/source examples/coa-demo.ts
 */
import { pathToFileURL } from 'node:url';
import { bm25SearchTool, CoAModel, entityPickerTool, reify } from '@lab/coa';
import type { GenerateRequestInput, GenerateResult, LanguageModel } from '@lab/lm';
import { generateWordProblems } from '@lab/tasks';

/** Decodes a fixed chain per prompt at `msPerToken`, continuing from any prefix, honouring stop strings. */
class FixedChainModel implements LanguageModel {
  readonly id = 'fixed-chain';
  constructor(
    private readonly chains: ReadonlyMap<string, string>,
    private readonly msPerToken: number,
  ) {}

  async generate(requests: readonly GenerateRequestInput[]): Promise<GenerateResult[]> {
    const out: GenerateResult[] = [];
    for (const r of requests) {
      const prompt = r.prompt ?? '';
      const head = [...this.chains.keys()].find((q) => prompt.startsWith(q)) ?? '';
      const chain = this.chains.get(head) ?? '';
      let text = chain.slice(prompt.length - head.length);
      for (const s of r.stop ?? []) if (text.includes(s)) text = text.slice(0, text.indexOf(s));
      await new Promise((res) => setTimeout(res, this.msPerToken * text.length));
      out.push({
        model: this.id,
        promptTokens: prompt.length,
        samples: [{ text, finishReason: 'stop', completionTokens: text.length }],
      });
    }
    return out;
  }
}

/** Runs the demo, printing through `log`; returns the speed-up (interleaved ÷ pipelined). */
export async function coaDemo(
  opts: { questions?: number; msPerToken?: number; toolMs?: number; log?: (l: string) => void } = {},
): Promise<number> {
  const log = opts.log ?? console.log;
  const msPerToken = opts.msPerToken ?? 1;
  const toolMs = opts.toolMs ?? 40;

  log('-- a tool chain: search, pick an entity, compute --');
  const docs = [
    {
      id: 'alien',
      title: 'Alien (film)',
      text: 'Alien is a 1979 science fiction horror film directed by Ridley Scott.',
    },
    { id: 'scott', title: 'Ridley Scott', text: 'Ridley Scott was born in South Shields, England, in 1937.' },
  ];
  const chain =
    'The director is [director of the film Alien -Wiki-> y1] [y1 -NER(person)-> y2]; he was born in ' +
    '[y2 born -Wiki-> y3] [y3 -NER(date)-> y4], so in 1979 he was [1979 - y4 = y5]. The answer is y5.';
  const r = await reify(chain, { tools: [bm25SearchTool(docs), entityPickerTool()] });
  log(`chain:  ${chain}`);
  log(`filled: ${r.filled}`);
  for (const c of r.calls)
    log(`  ${c.id} level ${c.level} ${c.kind}${c.tool ? ` ${c.tool}` : ''} -> ${JSON.stringify(c.value)}`);

  log('\n-- pipelined vs interleaved on world problems --');
  const problems = generateWordProblems({ n: opts.questions ?? 12, seed: 5, minSteps: 2, maxSteps: 3 });
  const prompt = (q: string) => `Question: ${q}\nAnswer:`;
  const model = new FixedChainModel(
    new Map(problems.map((p) => [prompt(p.question), ` ${p.coa}`])),
    msPerToken,
  );
  const coa = new CoAModel(model, [], { mathLatencyMs: toolMs }, prompt);
  const questions = problems.map((p) => ({ id: p.id, question: p.question, gold: p.answer }));
  const pipelined = await coa.runPipelined(questions);
  const interleaved = await coa.runInterleaved(questions);
  const first = pipelined.results[0];
  log(`question: ${first.question}`);
  log(`chain:   ${first.rawOutput}`);
  log(`filled:  ${first.reification.filled}`);
  log(`decode ${msPerToken} ms/token, math tool ${toolMs} ms per call, ${questions.length} questions`);
  for (const run of [pipelined, interleaved]) {
    const right = run.results.filter((x) => x.correct).length;
    log(
      `${run.mode.padEnd(11)} total ${run.totalMs.toFixed(0)} ms, mean latency ${run.meanLatencyMs.toFixed(0)} ms, decode ${run.decodeMs.toFixed(0)} ms, tools ${run.toolMs.toFixed(0)} ms, ${right}/${run.results.length} correct`,
    );
  }
  const speedup = interleaved.totalMs / pipelined.totalMs;
  log(`speed-up (interleaved / pipelined): ${speedup.toFixed(2)}x`);
  return speedup;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await coaDemo();
