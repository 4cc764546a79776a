import { createRng } from '@lab/tasks';
import { describe, expect, it } from 'vitest';
import { buildGraph, parseChain } from '../src/index.js';

const codes = (t: string) => parseChain(t).issues.map((i) => i.code);

describe('parseChain', () => {
  it('parses math calls, chained placeholders, and the answer', () => {
    const c = parseChain('First [20 + 35 = y1], then [y1 × 2 = y2]. The answer is y2.');
    expect(c.calls.map((x) => [x.kind, x.defines, x.uses])).toEqual([
      ['math', ['y1'], []],
      ['math', ['y2'], ['y1']],
    ]);
    expect(c.answer).toMatchObject({ kind: 'placeholder', name: 'y2' });
    expect(c.issues).toEqual([]);
    const [a] = c.calls;
    expect(c.text.slice(...a.span)).toBe('[20 + 35 = y1]');
  });

  it('defines the unknown regardless of side', () => {
    const c = parseChain('[20 + 35 = y1] [y2 = y1 * 2] [y3 - 4 = y2]');
    expect(c.calls.map((x) => x.defines)).toEqual([['y1'], ['y2'], ['y3']]);
    expect(c.calls[2].uses).toEqual(['y2']);
  });

  it('handles floats, negatives, exponents and 1,250 in math calls', () => {
    const c = parseChain('[1,250 * 0.5 + -3 + 1e-3 = y1] [-y1 / -2.5 = y2]');
    expect(c.issues).toEqual([]);
    expect(c.calls).toHaveLength(2);
  });

  it('parses tool calls with options, hyphenated free text and nested brackets', () => {
    const c = parseChain(
      '[birthplace of the director of state-of-the-art film Alien (1979) [remake] -Wiki-> y1] [y1 -NER(location)-> y2]',
    );
    expect(c.issues).toEqual([]);
    const [w, n] = c.calls;
    expect(w).toMatchObject({
      kind: 'tool',
      tool: 'Wiki',
      arg: 'birthplace of the director of state-of-the-art film Alien (1979) [remake]',
      output: 'y1',
      defines: ['y1'],
      uses: [],
    });
    expect(n).toMatchObject({
      kind: 'tool',
      tool: 'NER',
      option: 'location',
      arg: 'y1',
      uses: ['y1'],
      defines: ['y2'],
    });
    // the last marker wins: an earlier "->" in free text stays in the argument
    const d = parseChain('[a -> b -x- c -Search-> y3]').calls[0];
    expect(d).toMatchObject({ tool: 'Search', arg: 'a -> b -x- c' });
    // placeholders embedded in free text are dependencies
    expect(parseChain('[mayor of y1 -Wiki-> y2]').calls[0].uses).toEqual(['y1']);
  });

  it('keeps quoted strings with commas and brackets intact', () => {
    const c = parseChain('[FUNC lookup("a, b]", y1, 12345, -0.5, 1e-3, plain text) = y2]');
    const call = c.calls[0];
    expect(call.kind).toBe('tool');
    if (call.kind !== 'tool') return;
    expect(call.args).toEqual([
      expect.objectContaining({ type: 'string', value: 'a, b]' }),
      expect.objectContaining({ type: 'placeholder', name: 'y1' }),
      expect.objectContaining({ type: 'number', value: 12345 }),
      expect.objectContaining({ type: 'number', value: -0.5 }),
      expect.objectContaining({ type: 'number', value: 0.001 }),
      expect.objectContaining({ type: 'string', value: 'plain text' }),
    ]);
    expect(call.uses).toEqual(['y1']);
    expect(c.issues.filter((i) => i.code !== 'undefined')).toEqual([]);
  });

  it('turns arithmetic FUNC calls into math calls (the chained-placeholder case that broke LlamaIndex)', () => {
    const c = parseChain('[FUNC add(20, 35) = y1] [FUNC multiply(y1, 12345) = y2]');
    expect(c.issues).toEqual([]);
    expect(c.calls.map((x) => [x.kind, x.defines, x.uses])).toEqual([
      ['math', ['y1'], []],
      ['math', ['y2'], ['y1']],
    ]);
  });

  it('supports another placeholder prefix', () => {
    const c = parseChain('[3 + 4 = D1] [D1 -Wiki-> D2]. The answer is D2.', { placeholderPrefix: 'D' });
    expect(c.calls.map((x) => x.defines)).toEqual([['D1'], ['D2']]);
  });

  it('returns problems as values with spans', () => {
    expect(codes('[1 + 2 = y1')).toEqual(['unbalanced']);
    expect(codes('text ] more')).toEqual(['unbalanced']);
    expect(codes('[2 + 3 = 5]')).toEqual(['no-unknown']);
    expect(codes('[a -Wiki-> y1] [b -Wiki-> y1]')).toEqual(['redefined']);
    expect(codes('[1..2 + 3 = y1]')).toEqual(['bad-number']);
    expect(codes('[constructor = y1]')).toEqual(['bad-expression']);
    expect(codes('[y1 -Wiki-> y1]')).toContain('cycle');
    expect(codes('[y5 + 1 = y6] [y7 -Wiki-> y8]')).toEqual(['undefined']);
    expect(codes('[a -Wiki-> notaplaceholder]')).toEqual(['bad-call']);
    expect(codes('[1 = 2 = y1]')).toEqual(['bad-call']);
    expect(codes('The answer is y9.')).toEqual(['undefined']);
    const t = 'ok [1 + = y1] end';
    const issue = parseChain(t).issues[0];
    expect(issue.code).toBe('bad-expression');
    expect(issue.span[0]).toBeGreaterThanOrEqual(3);
    expect(issue.span[1]).toBeLessThanOrEqual(13);
  });

  it('ignores bracketed prose that is not a call', () => {
    const c = parseChain('He said [sic] it twice. The answer is 4.');
    expect(c.calls).toEqual([]);
    expect(c.answer).toMatchObject({ kind: 'number', value: 4 });
    expect(parseChain('The answer is Paris.').answer).toMatchObject({ kind: 'text', value: 'Paris' });
    expect(parseChain('The answer is $1,250.').answer).toMatchObject({ kind: 'number', value: 1250 });
  });

  it('never throws on random strings (fuzz)', () => {
    const rng = createRng(1);
    const atoms = [
      '[',
      ']',
      '(',
      ')',
      '"',
      '\\',
      '=',
      '-',
      '->',
      'y1',
      'y2',
      ' ',
      ',',
      '1,250',
      '3.5',
      '-Wiki',
      'FUNC ',
      'add',
      'x',
      '^',
      '*',
      'The answer is ',
      '%',
      'e',
      '\n',
    ];
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const n = rng.int(0, 30);
      for (let j = 0; j < n; j++) s += rng.pick(atoms);
      const c = parseChain(s);
      for (const issue of c.issues) {
        expect(issue.span[0]).toBeGreaterThanOrEqual(0);
        expect(issue.span[1]).toBeLessThanOrEqual(s.length);
      }
      expect(() => buildGraph(c.calls)).not.toThrow();
    }
    // and on raw random characters
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: rng.int(0, 60) }, () => String.fromCharCode(rng.int(0, 0x3000))).join(
        '',
      );
      expect(() => parseChain(s)).not.toThrow();
    }
  });
});

describe('buildGraph', () => {
  it('levels calls by longest path and groups joint math systems', () => {
    const c = parseChain('[2 + 3 = y1] [y1 -Wiki-> y2] [y2 * 2 = y3] [y1 + 1 = y4]');
    const g = buildGraph(c.calls);
    expect([...g.level.entries()]).toEqual(
      expect.arrayContaining([
        ['c1', 0],
        ['c2', 1],
        ['c3', 2],
        ['c4', 1],
      ]),
    );
    const joint = parseChain('[y1 + y2 = 10] [y1 - y2 = 4]');
    expect(joint.issues).toEqual([]);
    const sys = buildGraph(joint.calls);
    expect(sys.cycles).toEqual([]);
    expect(sys.groups).toEqual([['c1', 'c2']]);
  });

  it('reports cycles through tool calls', () => {
    const c = parseChain('[y2 -Wiki-> y1] [y1 + 1 = y2]');
    const g = buildGraph(c.calls);
    expect(g.cycles).toEqual([['c1', 'c2']]);
    expect(g.issues[0].code).toBe('cycle');
  });
});
