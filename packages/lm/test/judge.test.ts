import { describe, expect, it } from 'vitest';
import {
  type GenerateRequest,
  LMJudge,
  majorityVerdict,
  messageText,
  parseScore,
  parseVerdict,
  ScriptedModel,
} from '../src/index.js';

describe('parseVerdict', () => {
  it.each([
    ['Assistant A is clearly better.\n[[A]]', 'A'],
    ['[[B]]', 'B'],
    ['Both are equally good. [[C]]', 'tie'],
    ['final: [[ A ]]', 'A'],
    ['[[A]] ... on reflection, still [[A]]', 'A'],
    ['Output "[[A]]" if A is better, "[[B]]" if B is better. I pick A.', 'unparsed'],
    ['A is better', 'unparsed'],
    ['[A] is better', 'unparsed'],
    ['[[a]]', 'unparsed'],
    ['[[AB]]', 'unparsed'],
    ['[[A]] or maybe a tie [[C]]', 'unparsed'],
    ['[[[B]]]', 'B'],
    ['', 'unparsed'],
  ])('%j → %s', (text, want) => {
    expect(parseVerdict(text)).toBe(want);
  });
});

describe('parseScore', () => {
  it.each([
    ['Good answer. Score: 4', 4],
    ['score:7', 7],
    ['Score: **8**', 8],
    ['Score: 4/5', 4],
    ['Score: 3.5.', 3.5],
    ['The format is "Score: <points>". Here: Score: 3', 3],
    ['Score: 2 ... after more thought, Score: 5', 5],
    ['Score: four', null],
    ['no score here', null],
    ['Score: 11', null],
    ['Score: 0', null],
    ['Total score: 6', 6],
  ])('%j → %s', (text, want) => {
    expect(parseScore(text, { min: 1, max: 10 })).toBe(want);
  });
  it('without a range, accepts any number', () => {
    expect(parseScore('Score: -2')).toBe(-2);
  });
});

describe('majorityVerdict', () => {
  it('counts parsed votes; equal leaders tie; nothing parsed is unparsed', () => {
    expect(majorityVerdict(['A', 'A', 'B'])).toBe('A');
    expect(majorityVerdict(['A', 'B'])).toBe('tie');
    expect(majorityVerdict(['A', 'tie'])).toBe('tie');
    expect(majorityVerdict(['unparsed', 'unparsed', 'B'])).toBe('B');
    expect(majorityVerdict(['unparsed'])).toBe('unparsed');
    expect(majorityVerdict([])).toBe('unparsed');
  });
});

/** A rule-based judge model: reads the rendered prompt like an LLM would. */
function section(r: GenerateRequest, name: string): string {
  const text = messageText(r.messages!.at(-1)!);
  const m = text.match(new RegExp(`\\[${name}\\]\\n([\\s\\S]*?)(?:\\n\\n\\[|$)`));
  return m?.[1] ?? '';
}

describe('LMJudge', () => {
  it('prefers the correct response in both orders and reports consistency', async () => {
    // Prefers the response containing "Paris".
    const model = new ScriptedModel({
      rule: (r) => {
        const a = section(r, 'Response A').includes('Paris');
        const b = section(r, 'Response B').includes('Paris');
        return a === b ? 'Same. [[C]]' : a ? 'A names the capital. [[A]]' : 'B names the capital. [[B]]';
      },
    });
    const judge = new LMJudge(model);
    const [first, second, third] = await judge.pairwise([
      { prompt: 'Capital of France?', responseA: 'Paris', responseB: 'Lyon' },
      { prompt: 'Capital of France?', responseA: 'Lyon', responseB: 'It is Paris' },
      { prompt: 'Capital of France?', responseA: 'Lyon', responseB: 'Nice' },
    ]);
    expect(first).toMatchObject({
      verdict: 'A',
      consistent: true,
      votes: { A: 2, B: 0, tie: 0, unparsed: 0 },
    });
    expect(first!.reasoning).toContain('names the capital');
    expect(first!.samples.map((s) => s.order)).toEqual(['AB', 'BA']);
    expect(second!.verdict).toBe('B');
    expect(third!.verdict).toBe('tie');
    expect(model.calls).toHaveLength(6);
    expect(model.calls[0]!.temperature).toBe(0);
  });

  it('cancels pure position bias to a tie', async () => {
    const judge = new LMJudge(new ScriptedModel({ rule: () => 'The first one. [[A]]' }), { samples: 3 });
    const [j] = await judge.pairwise([{ prompt: 'q', responseA: 'x', responseB: 'y' }]);
    expect(j!.votes).toEqual({ A: 3, B: 3, tie: 0, unparsed: 0 });
    expect(j!.verdict).toBe('tie');
    expect(j!.consistent).toBe(false);
  });

  it('majority-votes over samples and averages pointwise scores', async () => {
    const judge = new LMJudge(
      new ScriptedModel({ rule: (_r, i) => (i === 0 ? 'hmm' : `Fine. Score: ${i + 5}`) }),
      { samples: 3, bothOrders: false },
    );
    const [p] = await judge.pointwise([{ prompt: 'q', response: 'r' }]);
    expect(p!.scores).toEqual([null, 6, 7]);
    expect(p!.score).toBe(6.5);

    const voter = new LMJudge(new ScriptedModel({ rule: (_r, i) => (i < 2 ? '[[B]]' : '[[A]]') }), {
      samples: 3,
      bothOrders: false,
    });
    const [v] = await voter.pairwise([{ prompt: 'q', responseA: 'x', responseB: 'y' }]);
    expect(v!.verdict).toBe('B');
    expect(v!.votes.B).toBe(2);
  });

  it('takes a replaceable template, raw prompts included', async () => {
    const model = new ScriptedModel({ rule: (r) => (r.prompt!.startsWith('Rate') ? 'Score: 3' : '') });
    const judge = new LMJudge(model, { scoreMax: 5 }, { pointwise: (x) => `Rate: ${x.response}\n` });
    const [p] = await judge.pointwise([{ prompt: 'q', response: 'r' }]);
    expect(p!.score).toBe(3);
    expect(model.calls[0]!.prompt).toBe('Rate: r\n');
  });

  it('forwards topP and the sampling temperature to the model', async () => {
    const model = new ScriptedModel({ rule: () => '[[A]]' });
    const judge = new LMJudge(model, { samples: 2, topP: 0.9, temperature: 0.7 });
    await judge.pairwise([{ prompt: 'q', responseA: 'x', responseB: 'y' }]);
    expect(model.calls.map((c) => [c.topP, c.temperature, c.n])).toEqual([
      [0.9, 0.7, 2],
      [0.9, 0.7, 2],
    ]);
    expect(() => new LMJudge(model, { topP: 0 })).toThrow(/topP/);
  });
});
