/**
 * A safe exact arithmetic parser and evaluator: a hand-written scanner and a
 * Pratt parser over exact rationals. It never touches JavaScript evaluation:
 * the only names it knows are placeholders matching a pattern, looked up in a
 * Map, so `constructor`, `__proto__` or `process.exit()` are plain errors.
 * Limits on input length, nesting depth, exponent and number size make
 * hostile input fail fast with an error value instead of hanging.
 */
import { Rational } from './rational.js';

/** Where in the input something is: `[start, end)` in UTF-16 code units. */
export type Span = readonly [start: number, end: number];

/** Stable codes of arithmetic problems. */
export type ArithIssueCode =
  | 'empty'
  | 'too-long'
  | 'too-deep'
  | 'bad-number'
  | 'unexpected-char'
  | 'unexpected-token'
  | 'unexpected-end'
  | 'unknown-identifier'
  | 'unbound-variable'
  | 'exponent-too-large'
  | 'non-integer-exponent'
  | 'too-many-digits'
  | 'division-by-zero'
  | 'nonlinear';

/** A problem found while parsing or evaluating, as a value. */
export interface ArithIssue {
  code: ArithIssueCode;
  message: string;
  span: Span;
}

/** Success or a problem, never a throw. */
export type ArithResult<T> = { ok: true; value: T } | { ok: false; issue: ArithIssue };

/** Binary operators after normalisation (`×`→`*`, `÷`→`/`, `**`→`^`). */
export type BinaryOp = '+' | '-' | '*' | '/' | '^';

/** Parsed expression tree; every node knows its span in the source. */
export type Expr =
  | { type: 'num'; value: Rational; text: string; span: Span }
  | { type: 'var'; name: string; span: Span }
  | { type: 'neg'; arg: Expr; span: Span }
  | { type: 'percent'; arg: Expr; span: Span }
  | { type: 'bin'; op: BinaryOp; left: Expr; right: Expr; span: Span };

/** Limits and switches of the parser and evaluator. All have safe defaults. */
export interface ArithOptions {
  /** Names accepted as variables (placeholders). Default `/^[A-Za-z]\d+$/` (y1, D2). */
  variablePattern?: RegExp;
  /** Accept postfix `%` as "divide by 100". Default false. */
  allowPercent?: boolean;
  /** Accept `1,250` (comma before exactly three digits) as a number. Default true. */
  allowThousandsCommas?: boolean;
  /** Longest accepted input, in characters. Default 2000. */
  maxLength?: number;
  /** Deepest accepted nesting of parentheses and unary operators. Default 64. */
  maxDepth?: number;
  /** Largest absolute integer exponent of `^`. Default 64. */
  maxExponent?: number;
  /** Largest numerator/denominator of any value, in bits. Default 4096 (~1233 digits). */
  maxBits?: number;
}

interface Limits {
  variablePattern: RegExp;
  allowPercent: boolean;
  allowThousandsCommas: boolean;
  maxLength: number;
  maxDepth: number;
  maxExponent: number;
  maxBits: number;
}

function limitsOf(o: ArithOptions = {}): Limits {
  return {
    variablePattern: o.variablePattern ?? /^[A-Za-z]\d+$/,
    allowPercent: o.allowPercent ?? false,
    allowThousandsCommas: o.allowThousandsCommas ?? true,
    maxLength: o.maxLength ?? 2000,
    maxDepth: o.maxDepth ?? 64,
    maxExponent: o.maxExponent ?? 64,
    maxBits: o.maxBits ?? 4096,
  };
}

/** Internal control flow only: converted to an `ArithIssue` at every public boundary. */
class IssueSignal {
  constructor(readonly issue: ArithIssue) {}
}

function fail(code: ArithIssueCode, message: string, span: Span): never {
  throw new IssueSignal({ code, message, span });
}

type Token =
  | { kind: 'num'; value: Rational; text: string; span: Span }
  | { kind: 'id'; name: string; span: Span }
  | { kind: 'op'; op: '+' | '-' | '*' | '/' | '^' | '(' | ')' | '%'; span: Span };

const OP_CHARS: Record<string, '+' | '-' | '*' | '/' | '^' | '(' | ')' | '%'> = {
  '+': '+',
  '-': '-',
  '\u2212': '-', // − minus sign
  '\u2013': '-', // – en dash, as written by some models
  '*': '*',
  '\u00d7': '*', // ×
  '\u00b7': '*', // ·
  '\u22c5': '*', // ⋅
  '/': '/',
  '\u00f7': '/', // ÷
  '^': '^',
  '(': '(',
  ')': ')',
  '[': '(',
  ']': ')',
  '%': '%',
};

function tokenize(src: string, lim: Limits): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '*' && src[i + 1] === '*') {
      out.push({ kind: 'op', op: '^', span: [i, i + 2] });
      i += 2;
      continue;
    }
    const op = OP_CHARS[c];
    if (op) {
      out.push({ kind: 'op', op, span: [i, i + 1] });
      i++;
      continue;
    }
    if (/[0-9.]/.test(c)) {
      const start = i;
      while (i < src.length && /[0-9]/.test(src[i])) i++;
      // Thousands groups: a comma followed by exactly three digits and no fourth.
      while (
        lim.allowThousandsCommas &&
        src[i] === ',' &&
        /^[0-9]{3}(?![0-9])/.test(src.slice(i + 1, i + 5)) &&
        i - start > 0
      ) {
        i += 4;
      }
      if (src[i] === '.') {
        i++;
        while (i < src.length && /[0-9]/.test(src[i])) i++;
      }
      if ((src[i] === 'e' || src[i] === 'E') && /^[+-]?[0-9]/.test(src.slice(i + 1, i + 3))) {
        i++;
        if (src[i] === '+' || src[i] === '-') i++;
        while (i < src.length && /[0-9]/.test(src[i])) i++;
      }
      // "1..2", "3.4.5", "12abc": a number glued to more number-ish text is one bad number.
      if (/[0-9.A-Za-z_]/.test(src[i] ?? '')) {
        let j = i;
        while (j < src.length && /[0-9.A-Za-z_,]/.test(src[j])) j++;
        fail('bad-number', `not a number: "${src.slice(start, j)}"`, [start, j]);
      }
      const text = src.slice(start, i);
      const value = Rational.parse(text, { maxExponent: lim.maxExponent });
      if (!value) fail('bad-number', `not a number: "${text}"`, [start, i]);
      if (value.bits() > lim.maxBits) fail('too-many-digits', `number too large: "${text}"`, [start, i]);
      out.push({ kind: 'num', value, text, span: [start, i] });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (i < src.length && /[A-Za-z0-9_$]/.test(src[i])) i++;
      const name = src.slice(start, i);
      if (!lim.variablePattern.test(name)) {
        fail('unknown-identifier', `unknown name "${name}": only numbers and placeholders are allowed`, [
          start,
          i,
        ]);
      }
      out.push({ kind: 'id', name, span: [start, i] });
      continue;
    }
    fail('unexpected-char', `unexpected character "${c}"`, [i, i + 1]);
  }
  return out;
}

// Binding powers: + - < * / < unary minus < ^ (right-associative, so -2^2 = -4).
const INFIX_BP: Record<string, [number, number]> = {
  '+': [10, 11],
  '-': [10, 11],
  '*': [20, 21],
  '/': [20, 21],
  '^': [41, 40],
};
const PREFIX_BP = 30;
const POSTFIX_BP = 50;

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
    private readonly lim: Limits,
  ) {}

  parseAll(): Expr {
    if (this.tokens.length === 0) fail('empty', 'empty expression', [0, this.src.length]);
    const e = this.expr(0);
    const t = this.tokens[this.pos];
    if (t) fail('unexpected-token', `unexpected "${this.src.slice(t.span[0], t.span[1])}"`, t.span);
    return e;
  }

  private enter(span: Span): void {
    if (++this.depth > this.lim.maxDepth) {
      fail('too-deep', `nesting deeper than ${this.lim.maxDepth}`, span);
    }
  }

  private expr(minBp: number): Expr {
    let left = this.prefix();
    for (;;) {
      const t = this.tokens[this.pos];
      if (t?.kind !== 'op') break;
      if (t.op === '%') {
        if (!this.lim.allowPercent) fail('unexpected-token', 'percent is not enabled', t.span);
        if (POSTFIX_BP < minBp) break;
        this.pos++;
        left = { type: 'percent', arg: left, span: [left.span[0], t.span[1]] };
        continue;
      }
      const bp = INFIX_BP[t.op];
      if (!bp || bp[0] < minBp) break;
      this.pos++;
      this.enter(t.span);
      const right = this.expr(bp[1]);
      this.depth--;
      left = { type: 'bin', op: t.op as BinaryOp, left, right, span: [left.span[0], right.span[1]] };
    }
    return left;
  }

  private prefix(): Expr {
    const t = this.tokens[this.pos];
    if (!t) fail('unexpected-end', 'expression ends too early', [this.src.length, this.src.length]);
    this.pos++;
    if (t.kind === 'num') return { type: 'num', value: t.value, text: t.text, span: t.span };
    if (t.kind === 'id') return { type: 'var', name: t.name, span: t.span };
    if (t.op === '-' || t.op === '+') {
      this.enter(t.span);
      const arg = this.expr(PREFIX_BP);
      this.depth--;
      return t.op === '-' ? { type: 'neg', arg, span: [t.span[0], arg.span[1]] } : arg;
    }
    if (t.op === '(') {
      this.enter(t.span);
      const inner = this.expr(0);
      this.depth--;
      const close = this.tokens[this.pos];
      if (close?.kind !== 'op' || close.op !== ')') {
        fail('unexpected-end', 'missing ")"', close ? close.span : [this.src.length, this.src.length]);
      }
      this.pos++;
      return { ...inner, span: [t.span[0], close.span[1]] } as Expr;
    }
    fail('unexpected-token', `unexpected "${this.src.slice(t.span[0], t.span[1])}"`, t.span);
  }
}

function guard<T>(fn: () => T): ArithResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof IssueSignal) return { ok: false, issue: e.issue };
    if (e instanceof RangeError) {
      // BigInt allocation failure or stack exhaustion: still a value, not a crash.
      return { ok: false, issue: { code: 'too-many-digits', message: e.message, span: [0, 0] } };
    }
    throw e;
  }
}

/**
 * Parses arithmetic text into an expression tree (numbers, placeholders,
 * `+ - * / ^ × ÷ −`, parentheses, unary minus, optional `%`).
 *
 * @example
 * const r = parseExpression('(y1 + 1,250) × 2');
 * if (r.ok) console.log(r.value.type); // 'bin'
 */
export function parseExpression(text: string, options?: ArithOptions): ArithResult<Expr> {
  const lim = limitsOf(options);
  if (text.length > lim.maxLength) {
    return {
      ok: false,
      issue: {
        code: 'too-long',
        message: `input longer than ${lim.maxLength} characters`,
        span: [0, text.length],
      },
    };
  }
  return guard(() => new Parser(tokenize(text, lim), text, lim).parseAll());
}

/** Variables' values for evaluation: a Map (never an object, so `__proto__` is just a missing key). */
export type Env = ReadonlyMap<string, Rational>;

function checkSize(r: Rational, lim: Limits, span: Span): Rational {
  if (r.bits() > lim.maxBits) fail('too-many-digits', `value exceeds ${lim.maxBits} bits`, span);
  return r;
}

/** Integer exponent from a rational, within limits; shared with the affine solver. */
export function exponentOf(e: Rational, lim: { maxExponent?: number }, span: Span): ArithResult<number> {
  if (!e.isInteger()) {
    return {
      ok: false,
      issue: { code: 'non-integer-exponent', message: `exponent ${e} is not an integer`, span },
    };
  }
  const max = lim.maxExponent ?? 64;
  if (e.num > BigInt(max) || e.num < -BigInt(max)) {
    return {
      ok: false,
      issue: { code: 'exponent-too-large', message: `exponent ${e} exceeds ${max}`, span },
    };
  }
  return { ok: true, value: Number(e.num) };
}

function evalNode(e: Expr, env: Env, lim: Limits): Rational {
  switch (e.type) {
    case 'num':
      return e.value;
    case 'var': {
      const v = env.get(e.name);
      if (v === undefined) fail('unbound-variable', `"${e.name}" has no value`, e.span);
      return v;
    }
    case 'neg':
      return evalNode(e.arg, env, lim).neg();
    case 'percent':
      return evalNode(e.arg, env, lim).div(Rational.of(100n));
    case 'bin': {
      const a = evalNode(e.left, env, lim);
      const b = evalNode(e.right, env, lim);
      switch (e.op) {
        case '+':
          return checkSize(a.add(b), lim, e.span);
        case '-':
          return checkSize(a.sub(b), lim, e.span);
        case '*':
          return checkSize(a.mul(b), lim, e.span);
        case '/':
          if (b.isZero()) fail('division-by-zero', 'division by zero', e.span);
          return checkSize(a.div(b), lim, e.span);
        case '^': {
          const ex = exponentOf(b, lim, e.right.span);
          if (!ex.ok) throw new IssueSignal(ex.issue);
          if (a.isZero() && ex.value < 0) fail('division-by-zero', 'zero to a negative power', e.span);
          // Refuse before allocating: the result has about bits(a) * |exponent| bits.
          if (a.bits() * Math.abs(ex.value) > lim.maxBits + 64) {
            fail('too-many-digits', `${a}^${ex.value} exceeds ${lim.maxBits} bits`, e.span);
          }
          return checkSize(a.pow(ex.value), lim, e.span);
        }
      }
    }
  }
}

/**
 * Evaluates an expression (text or tree) exactly. Placeholders take their
 * values from `env`; anything else is an error value.
 *
 * @example
 * const r = evaluateExpression('y1 / 3 + 0.5', new Map([['y1', Rational.of(10n)]]));
 * if (r.ok) r.value.toString(); // '23/6'
 */
export function evaluateExpression(
  expr: string | Expr,
  env: Env = new Map(),
  options?: ArithOptions,
): ArithResult<Rational> {
  const lim = limitsOf(options);
  let tree: Expr;
  if (typeof expr === 'string') {
    const p = parseExpression(expr, options);
    if (!p.ok) return p;
    tree = p.value;
  } else {
    tree = expr;
  }
  return guard(() => evalNode(tree, env, lim));
}

/** Names of the variables an expression uses, in order of first appearance. */
export function variablesOf(e: Expr, out: string[] = []): string[] {
  switch (e.type) {
    case 'var':
      if (!out.includes(e.name)) out.push(e.name);
      break;
    case 'neg':
    case 'percent':
      variablesOf(e.arg, out);
      break;
    case 'bin':
      variablesOf(e.left, out);
      variablesOf(e.right, out);
      break;
    case 'num':
      break;
  }
  return out;
}

/** Internal: used by the affine solver to share limits and error plumbing. */
export const internal = { limitsOf, guard, fail, IssueSignal };
