import { describe, expect, it } from 'vitest';
import { createRng, evaluateExpression, parseExpression, Rational, type Rng } from '../../src/index.js';

// An independent reference: fractions as [num, den] BigInt pairs, never reduced
// until compared, built from the expression tree we generate (not from the parser).
type Frac = [bigint, bigint];
const fAdd = (a: Frac, b: Frac): Frac => [a[0] * b[1] + b[0] * a[1], a[1] * b[1]];
const fSub = (a: Frac, b: Frac): Frac => [a[0] * b[1] - b[0] * a[1], a[1] * b[1]];
const fMul = (a: Frac, b: Frac): Frac => [a[0] * b[0], a[1] * b[1]];
const fDiv = (a: Frac, b: Frac): Frac => [a[0] * b[1], a[1] * b[0]];
const fPow = (a: Frac, e: number): Frac =>
  e >= 0 ? [a[0] ** BigInt(e), a[1] ** BigInt(e)] : [a[1] ** BigInt(-e), a[0] ** BigInt(-e)];
const fEq = (a: Frac, r: Rational): boolean => a[0] * r.den === r.num * a[1];

function randomExpr(rng: Rng, depth: number): { text: string; value: Frac } | null {
  if (depth === 0 || rng.next() < 0.3) {
    const kind = rng.int(0, 3);
    if (kind === 0) {
      const n = rng.int(0, 2000);
      return { text: String(n), value: [BigInt(n), 1n] };
    }
    if (kind === 1) {
      const n = rng.int(0, 99999);
      const text = `${n}.${String(rng.int(0, 999)).padStart(3, '0')}`;
      return { text, value: [BigInt(n) * 1000n + BigInt(Number(text.split('.')[1])), 1000n] };
    }
    if (kind === 2) {
      const n = rng.int(1000, 999999);
      return { text: n.toLocaleString('en-US'), value: [BigInt(n), 1n] };
    }
    const n = rng.int(1, 99);
    return { text: `${n}e-2`, value: [BigInt(n), 100n] };
  }
  const a = randomExpr(rng, depth - 1);
  const b = randomExpr(rng, depth - 1);
  if (!a || !b) return null;
  const op = rng.pick(['+', '-', '*', '/', '×', '÷', '−', 'neg', '^']);
  switch (op) {
    case '+':
      return { text: `(${a.text} + ${b.text})`, value: fAdd(a.value, b.value) };
    case '-':
    case '−':
      return { text: `(${a.text} ${op} ${b.text})`, value: fSub(a.value, b.value) };
    case '*':
    case '×':
      return { text: `(${a.text}${op}${b.text})`, value: fMul(a.value, b.value) };
    case '/':
    case '÷':
      if (b.value[0] === 0n) return null;
      return { text: `(${a.text} ${op} ${b.text})`, value: fDiv(a.value, b.value) };
    case 'neg':
      return { text: `-(${a.text})`, value: [-a.value[0], a.value[1]] };
    default: {
      const e = rng.int(-3, 3);
      if (e < 0 && a.value[0] === 0n) return null;
      return { text: `(${a.text})^${e < 0 ? `(${e})` : e}`, value: fPow(a.value, e) };
    }
  }
}

describe('evaluateExpression', () => {
  it('matches an independent BigInt fraction computation on 500 random expressions', () => {
    const rng = createRng(42);
    let checked = 0;
    for (let i = 0; i < 600 && checked < 500; i++) {
      const e = randomExpr(rng, 4);
      if (!e) continue;
      const r = evaluateExpression(e.text, new Map(), { maxBits: 100_000 });
      if (!r.ok) throw new Error(`${e.text}: ${r.issue.message}`);
      expect(fEq(e.value, r.value), e.text).toBe(true);
      checked++;
    }
    expect(checked).toBe(500); // seed 42 yields 500 valid expressions within 600 draws, as the README says
  });

  it('handles precedence, unary minus, right-associative powers and placeholders', () => {
    const env = new Map([
      ['y1', Rational.of(10n)],
      ['y2', Rational.of(-3n)],
    ]);
    const cases: [string, string][] = [
      ['2 + 3 * 4', '14'],
      ['-2^2', '-4'],
      ['2^3^2', '512'],
      ['(2^3)^2', '64'],
      ['y1 / 4', '2.5'],
      ['y1 * y2 - -1', '-29'],
      ['1,250 + 0.5', '1250.5'],
      ['1 / 3', '1/3'],
      ['2 ** 10', '1024'],
      ['1e3 + 1E-3', '1000.001'],
      ['3 × 4 ÷ 6 − 1', '1'],
      ['.5 + .25', '0.75'],
    ];
    for (const [text, want] of cases) {
      const r = evaluateExpression(text, env);
      expect(r.ok && r.value.toString(), text).toBe(want);
    }
  });

  it('treats percent as /100 only when enabled', () => {
    expect(evaluateExpression('50% * 30', new Map(), { allowPercent: true })).toMatchObject({ ok: true });
    const r = evaluateExpression('50% * 30', new Map(), { allowPercent: true });
    expect(r.ok && r.value.toString()).toBe('15');
    expect(evaluateExpression('50%')).toMatchObject({ ok: false, issue: { code: 'unexpected-token' } });
  });

  it('reports unbound placeholders with their span', () => {
    const r = evaluateExpression('1 + y7');
    expect(r).toEqual({
      ok: false,
      issue: expect.objectContaining({ code: 'unbound-variable', span: [4, 6] }),
    });
  });

  it('refuses hostile input cleanly with error values', () => {
    const hostile: [string, string][] = [
      ['constructor', 'unknown-identifier'],
      ['process.exit()', 'unknown-identifier'],
      ['__proto__', 'unknown-identifier'],
      ['y1.constructor', 'bad-number'],
      ['this', 'unknown-identifier'],
      ['require("fs")', 'unknown-identifier'],
      ['globalThis["eval"]("1")', 'unknown-identifier'],
      ['`1`', 'unexpected-char'],
      ['2^99999999', 'exponent-too-large'],
      ['10^64^64', 'exponent-too-large'],
      ['(10^60)^60', 'too-many-digits'],
      [Array(25).fill('9^64').join('*'), 'too-many-digits'],
      ['2^0.5', 'non-integer-exponent'],
      ['1e999999999', 'bad-number'],
      ['9'.repeat(5000), 'too-long'],
      ['('.repeat(200) + '1' + ')'.repeat(200), 'too-deep'],
      ['-'.repeat(500) + '1', 'too-deep'],
      ['1 / 0', 'division-by-zero'],
      ['0^-1', 'division-by-zero'],
      ['(1 + 2', 'unexpected-end'],
      ['1 +', 'unexpected-end'],
      ['', 'empty'],
      ['1 2', 'unexpected-token'],
    ];
    for (const [text, code] of hostile) {
      const r = evaluateExpression(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.issue.code, text).toBe(code);
    }
    // y1's `.constructor`: placeholders have values only from the Map
    const env = new Map([['__proto__', Rational.ONE]]);
    expect(evaluateExpression('y1', env)).toMatchObject({ ok: false, issue: { code: 'unbound-variable' } });
  });

  it('never throws on random strings', () => {
    const rng = createRng(9);
    const alphabet = '0123456789+-*/^()., ey×÷−%[]_abc$"\'\\';
    for (let i = 0; i < 3000; i++) {
      const len = rng.int(0, 40);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[rng.int(0, alphabet.length - 1)];
      const r = evaluateExpression(s, new Map([['y1', Rational.of(2n)]]), { allowPercent: rng.next() < 0.5 });
      expect(typeof r.ok).toBe('boolean');
    }
  });

  it('keeps spans pointing at the source text', () => {
    const src = '  (y1 + 3) * 2';
    const r = parseExpression(src);
    expect(r.ok).toBe(true);
    if (r.ok) expect(src.slice(...r.value.span)).toBe('(y1 + 3) * 2');
  });
});

describe('Rational', () => {
  it('parses decimals exactly and prints canonically', () => {
    expect(Rational.parse('0.1')!.add(Rational.parse('0.2')!).toString()).toBe('0.3');
    expect(Rational.fromNumber(-0.125).toString()).toBe('-0.125');
    expect(Rational.of(2n, -4n).toString()).toBe('-0.5');
    expect(Rational.of(1n, 3n).toDecimal(4)).toBe('0.3333');
    expect(Rational.of(2n, 3n).toDecimal(2)).toBe('0.67');
    expect(Rational.parse('1,25')).toBeNull();
    expect(Rational.of(22n, 7n).toNumber()).toBeCloseTo(22 / 7, 12);
  });
});
