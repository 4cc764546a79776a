/**
 * The abstract-chain parser (spec §2.1): a hand-written scanner, not a regex.
 * It finds bracketed calls in model output (tracking nesting and quotes),
 * classifies each as a math call (`[20 + 35 = y1]`), a tool call
 * (`[y1 -NER(location)-> y2]`, the *last* `-Name(opt)->` being the marker so
 * free text keeps its hyphens) or a `FUNC` call (`[FUNC multiply(y1, 12345) = y2]`),
 * and works out which placeholders each call defines and uses. Problems are
 * values with a span; the parser never throws on any input.
 */
import { type ArithIssue, type Expr, parseExpression, type Span, variablesOf } from '@lab/tasks';

/** Stable codes of parse problems. */
export type ParseIssueCode =
  | 'unbalanced'
  | 'no-unknown'
  | 'redefined'
  | 'bad-number'
  | 'bad-expression'
  | 'bad-call'
  | 'undefined'
  | 'cycle'
  | 'too-long'
  // found while reifying:
  | 'blocked'
  | 'underdetermined'
  | 'inconsistent'
  | 'nonlinear'
  | 'unknown-tool'
  | 'tool-error';

/** A problem found in a chain; `severity: 'warning'` leaves the call usable. */
export interface ParseIssue {
  code: ParseIssueCode;
  message: string;
  span: Span;
  severity: 'error' | 'warning';
  callId?: string;
}

/** An argument of a `FUNC` call, typed. */
export type FuncArg =
  | { type: 'placeholder'; name: string; span: Span }
  | { type: 'number'; value: number; text: string; span: Span }
  | { type: 'string'; value: string; span: Span };

interface CallBase {
  /** `c1`, `c2`, … in order of appearance. */
  id: string;
  index: number;
  /** Placeholders this call determines (see `parseChain`). */
  defines: string[];
  /** Placeholders this call needs, other than those it defines. */
  uses: string[];
  /** Span of the whole call, brackets included. */
  span: Span;
  /** The call's text, brackets included. */
  text: string;
}

/** `[lhs = rhs]`, or a `FUNC` arithmetic call rewritten to it. */
export interface MathCall extends CallBase {
  kind: 'math';
  lhs: Expr;
  rhs: Expr;
  /** Set when written in the FUNC dialect (`add`, `multiply`, …). */
  func?: string;
}

/** `[arg -Tool(option)-> yN]` or `[FUNC tool(a, b) = yN]` for a non-arithmetic function. */
export interface ToolCall extends CallBase {
  kind: 'tool';
  tool: string;
  option?: string;
  /** Free-text argument, placeholders not yet filled. */
  arg: string;
  /** FUNC dialect arguments, when written that way. */
  args?: FuncArg[];
  /** The placeholder receiving the result. */
  output: string;
}

export type Call = MathCall | ToolCall;

/** The final-answer clause. */
export type ChainAnswer =
  | { kind: 'placeholder'; name: string; span: Span }
  | { kind: 'number'; value: number; text: string; span: Span }
  | { kind: 'text'; value: string; span: Span };

/** Output of `parseChain`. */
export interface ParsedChain {
  text: string;
  calls: Call[];
  issues: ParseIssue[];
  answer: ChainAnswer | null;
  /** Every placeholder mentioned in a call or the answer, in order. */
  placeholders: string[];
}

/** Parser options. */
export interface ParseChainOptions {
  /** Placeholder prefix: `y` gives y1, y2 (default); `D` gives D1, D2. */
  placeholderPrefix?: string;
  /** Accept `%` in math calls (as /100). Default false. */
  allowPercent?: boolean;
  /** Longest text parsed. Default 100,000 characters. */
  maxLength?: number;
  /** FUNC names treated as arithmetic (joined into the math system). */
  arithmeticFuncs?: Readonly<Record<string, '+' | '-' | '*' | '/' | '^'>>;
}

/** FUNC names that LlamaIndex-style prompts use for arithmetic. */
export const DEFAULT_ARITHMETIC_FUNCS: Readonly<Record<string, '+' | '-' | '*' | '/' | '^'>> = {
  add: '+',
  plus: '+',
  sum: '+',
  subtract: '-',
  minus: '-',
  sub: '-',
  multiply: '*',
  mul: '*',
  times: '*',
  product: '*',
  divide: '/',
  div: '/',
  power: '^',
  pow: '^',
};

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Regex for placeholders anywhere in text (not inside other words). */
export function placeholderRegex(prefix = 'y'): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_])${escapeRegex(prefix)}\\d+(?![A-Za-z0-9_])`, 'g');
}

function trimSpan(text: string, start: number, end: number): Span {
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return [start, end];
}

/**
 * Top-level bracket segments, honouring nesting and (inside brackets) double
 * quotes with backslash escapes.
 */
function scanBrackets(text: string): { segments: Span[]; issues: ParseIssue[] } {
  const segments: Span[] = [];
  const issues: ParseIssue[] = [];
  let depth = 0;
  let start = -1;
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (depth > 0 && inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"' && depth > 0) inQuote = true;
    else if (c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ']') {
      if (depth === 0) {
        issues.push({ code: 'unbalanced', message: 'stray "]"', span: [i, i + 1], severity: 'warning' });
      } else if (--depth === 0) {
        segments.push([start, i + 1]);
      }
    }
  }
  if (depth > 0) {
    issues.push({
      code: 'unbalanced',
      message: inQuote ? 'unterminated quote inside "["' : 'unclosed "["',
      span: [start, text.length],
      severity: 'error',
    });
  }
  return { segments, issues };
}

/** Positions of `ch` at nesting depth 0 and outside quotes, within [from, to). */
function topLevel(text: string, from: number, to: number, test: (i: number) => boolean): number[] {
  const out: number[] = [];
  let depth = 0;
  let inQuote = false;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"') inQuote = true;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0 && test(i)) out.push(i);
  }
  return out;
}

function unquote(s: string): string | null {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    return s.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return null;
}

const NUMBER_ARG = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

type Draft =
  | (Omit<MathCall, 'defines' | 'uses' | 'id' | 'index'> & { mentioned: string[] })
  | (Omit<ToolCall, 'defines' | 'uses' | 'id' | 'index'> & { mentioned: string[] });

function arithIssue(code: ArithIssue['code']): ParseIssueCode {
  return code === 'bad-number' || code === 'too-many-digits' ? 'bad-number' : 'bad-expression';
}

/** Tries `-Name->` / `-Name(opt)->` as the last marker; returns null when absent. */
function parseToolMarker(
  text: string,
  s: number,
  e: number,
  phRe: RegExp,
):
  | { tool: string; option?: string; argEnd: number; output: string; outSpan: Span }
  | { error: string }
  | null {
  const arrows = topLevel(text, s, e, (i) => text[i] === '-' && text[i + 1] === '>');
  if (arrows.length === 0) return null;
  const arrow = arrows[arrows.length - 1];
  const outSpan = trimSpan(text, arrow + 2, e);
  const output = text.slice(outSpan[0], outSpan[1]);
  let j = arrow;
  let option: string | undefined;
  if (text[j - 1] === ')') {
    // Walk back to the matching "(" of the option.
    let depth = 0;
    let k = j - 1;
    for (; k >= s; k--) {
      if (text[k] === ')') depth++;
      else if (text[k] === '(' && --depth === 0) break;
    }
    if (k < s) return { error: 'unmatched ")" in the tool option' };
    option = text.slice(k + 1, j - 1).trim();
    j = k;
  }
  let n = j;
  while (n > s && /[A-Za-z0-9_.]/.test(text[n - 1])) n--;
  const tool = text.slice(n, j);
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(tool) || text[n - 1] !== '-') {
    return { error: 'a tool call needs "-ToolName->" or "-ToolName(option)->" before its output' };
  }
  phRe.lastIndex = 0;
  const m = phRe.exec(output);
  if (!m || m[0] !== output) return { error: `a tool call must end in "-> placeholder", got "${output}"` };
  return { tool, option, argEnd: n - 1, output, outSpan };
}

function parseFuncArgs(text: string, s: number, e: number, phRe: RegExp): FuncArg[] | string {
  const commas = topLevel(text, s, e, (i) => text[i] === ',');
  const bounds = [s - 1, ...commas, e];
  const args: FuncArg[] = [];
  if (text.slice(s, e).trim() === '') return args;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const span = trimSpan(text, bounds[k] + 1, bounds[k + 1]);
    const raw = text.slice(span[0], span[1]);
    if (raw === '') return `empty argument ${k + 1}`;
    phRe.lastIndex = 0;
    const ph = phRe.exec(raw);
    const q = unquote(raw);
    if (q !== null) args.push({ type: 'string', value: q, span });
    else if (ph && ph[0] === raw) args.push({ type: 'placeholder', name: raw, span });
    else if (NUMBER_ARG.test(raw)) args.push({ type: 'number', value: Number(raw), text: raw, span });
    else args.push({ type: 'string', value: raw, span });
  }
  return args;
}

function funcArgExpr(a: FuncArg): Expr | null {
  if (a.type === 'placeholder') return { type: 'var', name: a.name, span: a.span };
  if (a.type === 'number') {
    const p = parseExpression(a.text);
    return p.ok ? p.value : null;
  }
  return null;
}

function draftCall(
  text: string,
  span: Span,
  o: Required<ParseChainOptions>,
  issues: ParseIssue[],
): Draft | null {
  const [s0, e0] = [span[0] + 1, span[1] - 1];
  const [s, e] = trimSpan(text, s0, e0);
  const body = text.slice(s, e);
  const phRe = placeholderRegex(o.placeholderPrefix);
  const mentionedIn = (a: number, b: number): string[] => [
    ...new Set([...text.slice(a, b).matchAll(placeholderRegex(o.placeholderPrefix))].map((m) => m[0])),
  ];
  const issue = (code: ParseIssueCode, message: string, sp: Span = span): null => {
    issues.push({ code, message, span: sp, severity: 'error' });
    return null;
  };
  const full = text.slice(span[0], span[1]);

  // FUNC dialect: FUNC name(args) = yN
  const fm = /^FUNC\s+([A-Za-z_][A-Za-z0-9_.]*)\s*\(/.exec(body);
  if (fm) {
    const open = s + fm[0].length - 1;
    let depth = 0;
    let close = -1;
    let inQuote = false;
    for (let i = open; i < e; i++) {
      const c = text[i];
      if (inQuote) {
        if (c === '\\') i++;
        else if (c === '"') inQuote = false;
        continue;
      }
      if (c === '"') inQuote = true;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) return issue('unbalanced', 'FUNC call has an unclosed "("');
    const rest = text.slice(close + 1, e);
    const rm = new RegExp(`^\\s*=\\s*(${escapeRegex(o.placeholderPrefix)}\\d+)\\s*$`).exec(rest);
    if (!rm) return issue('bad-call', 'a FUNC call must end in "= placeholder"');
    const output = rm[1];
    const args = parseFuncArgs(text, open + 1, close, phRe);
    if (typeof args === 'string') return issue('bad-call', `FUNC ${fm[1]}: ${args}`);
    const name = fm[1];
    const op = o.arithmeticFuncs[name.toLowerCase()];
    const outAt = close + 1 + rest.indexOf(output);
    const outExpr: Expr = { type: 'var', name: output, span: [outAt, outAt + output.length] };
    if (op) {
      const exprs = args.map(funcArgExpr);
      if (args.length < 2 || exprs.some((x) => x === null)) {
        return issue('bad-number', `FUNC ${name} needs two or more numbers or placeholders`);
      }
      let lhs = exprs[0]!;
      for (const x of exprs.slice(1)) {
        lhs = { type: 'bin', op, left: lhs, right: x!, span: [lhs.span[0], x!.span[1]] };
      }
      return { kind: 'math', lhs, rhs: outExpr, func: name, span, text: full, mentioned: mentionedIn(s, e) };
    }
    const argText = args
      .map((a) => (a.type === 'string' ? a.value : a.type === 'number' ? a.text : a.name))
      .join(', ');
    return {
      kind: 'tool',
      tool: name,
      arg: argText,
      args,
      output,
      span,
      text: full,
      mentioned: mentionedIn(s, close),
    };
  }

  // Tool call: the last "-Name(opt)->" marker.
  const marker = parseToolMarker(text, s, e, phRe);
  if (marker && 'error' in marker) return issue('bad-call', marker.error);
  if (marker) {
    const argSpan = trimSpan(text, s, marker.argEnd);
    const arg = text.slice(argSpan[0], argSpan[1]);
    if (arg === '') return issue('bad-call', `tool call -${marker.tool}-> has an empty argument`);
    return {
      kind: 'tool',
      tool: marker.tool,
      option: marker.option,
      arg,
      output: marker.output,
      span,
      text: full,
      mentioned: mentionedIn(argSpan[0], argSpan[1]),
    };
  }

  // Math call: exactly one top-level "=".
  const eqs = topLevel(text, s, e, (i) => text[i] === '=' && text[i - 1] !== '=' && text[i + 1] !== '=');
  if (eqs.length === 0) return null; // bracketed prose, not a call
  if (eqs.length > 1) return issue('bad-call', 'a math call has exactly one "="');
  const eq = eqs[0];
  const sides: Expr[] = [];
  for (const [a, b] of [
    [s, eq],
    [eq + 1, e],
  ] as const) {
    const sub = text.slice(a, b);
    const r = parseExpression(sub, {
      variablePattern: new RegExp(`^${escapeRegex(o.placeholderPrefix)}\\d+$`),
      allowPercent: o.allowPercent,
    });
    if (!r.ok) {
      const at: Span = [a + r.issue.span[0], a + r.issue.span[1]];
      return issue(arithIssue(r.issue.code), `${r.issue.message} in "${sub.trim()}"`, at);
    }
    sides.push(shiftSpans(r.value, a));
  }
  return {
    kind: 'math',
    lhs: sides[0],
    rhs: sides[1],
    span,
    text: full,
    mentioned: [...new Set([...variablesOf(sides[0]), ...variablesOf(sides[1])])],
  };
}

function shiftSpans(e: Expr, by: number): Expr {
  const sp: Span = [e.span[0] + by, e.span[1] + by];
  switch (e.type) {
    case 'num':
    case 'var':
      return { ...e, span: sp };
    case 'neg':
    case 'percent':
      return { ...e, arg: shiftSpans(e.arg, by), span: sp };
    case 'bin':
      return { ...e, left: shiftSpans(e.left, by), right: shiftSpans(e.right, by), span: sp };
  }
}

function parseAnswer(text: string, segments: Span[], prefix: string): ChainAnswer | null {
  const re = /the answer is\s*:?\s*/gi;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!segments.some(([a, b]) => m!.index >= a && m!.index < b)) last = m;
  }
  if (!last) return null;
  const from = last.index + last[0].length;
  const tail = text.slice(from);
  const endRel = tail.search(/\n|\.(?=\s|$)|$/);
  const span = trimSpan(text, from, from + endRel);
  const raw = text.slice(span[0], span[1]);
  if (raw === '') return null;
  if (new RegExp(`^${escapeRegex(prefix)}\\d+$`).test(raw)) return { kind: 'placeholder', name: raw, span };
  const num = raw.replace(/^\$/, '').replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  if (NUMBER_ARG.test(num)) return { kind: 'number', value: Number(num), text: raw, span };
  return { kind: 'text', value: raw, span };
}

/**
 * Parses an abstract chain. Never throws: problems come back in `issues`.
 *
 * Which placeholders a call defines: a tool call defines its output; a math
 * call defines the placeholders it mentions that no tool call and no earlier
 * math call defines (so `[y2 = y1 × 2]` ≡ `[y1 × 2 = y2]`). A math call that
 * defines nothing is kept as a check and flagged `no-unknown` (warning).
 *
 * @example
 * const c = parseChain('[20 + 35 = y1] then [y1 × 2 = y2]. The answer is y2.');
 * c.calls.map((x) => x.defines); // [['y1'], ['y2']]
 * c.answer; // { kind: 'placeholder', name: 'y2', … }
 */
export function parseChain(text: string, options: ParseChainOptions = {}): ParsedChain {
  const o: Required<ParseChainOptions> = {
    placeholderPrefix: options.placeholderPrefix ?? 'y',
    allowPercent: options.allowPercent ?? false,
    maxLength: options.maxLength ?? 100_000,
    arithmeticFuncs: options.arithmeticFuncs ?? DEFAULT_ARITHMETIC_FUNCS,
  };
  const safeText = typeof text === 'string' ? text : String(text);
  if (safeText.length > o.maxLength) {
    return {
      text: safeText,
      calls: [],
      issues: [
        {
          code: 'too-long',
          message: `chain longer than ${o.maxLength} characters`,
          span: [0, safeText.length],
          severity: 'error',
        },
      ],
      answer: null,
      placeholders: [],
    };
  }
  const { segments, issues } = scanBrackets(safeText);
  const drafts: Draft[] = [];
  for (const seg of segments) {
    const d = draftCall(safeText, seg, o, issues);
    if (d) drafts.push(d);
  }

  const toolDefined = new Map<string, number>();
  drafts.forEach((d, i) => {
    if (d.kind !== 'tool') return;
    if (toolDefined.has(d.output)) {
      issues.push({
        code: 'redefined',
        message: `${d.output} is already the output of an earlier tool call`,
        span: d.span,
        severity: 'error',
        callId: `c${i + 1}`,
      });
    } else toolDefined.set(d.output, i);
  });
  const mathDefined = new Set<string>();
  const jointlyOpen = new Set<string>();
  const calls: Call[] = drafts.map((d, i) => {
    const id = `c${i + 1}`;
    const { mentioned, ...rest } = d;
    if (d.kind === 'tool') {
      const uses = mentioned.filter((p) => p !== d.output);
      if (mentioned.includes(d.output)) {
        issues.push({
          code: 'cycle',
          message: `${d.output} is both input and output of this call`,
          span: d.span,
          severity: 'error',
          callId: id,
        });
      }
      return {
        ...(rest as Omit<ToolCall, 'defines' | 'uses' | 'id' | 'index'>),
        id,
        index: i,
        defines: [d.output],
        uses,
      };
    }
    let defines = mentioned.filter((p) => !toolDefined.has(p) && !mathDefined.has(p));
    for (const p of defines) mathDefined.add(p);
    if (defines.length === 0) {
      // A later equation of a joint system (`[y1 + y2 = 10] [y1 - y2 = 4]`)
      // co-defines what an earlier call left open with several unknowns.
      defines = mentioned.filter((p) => jointlyOpen.has(p));
    } else if (defines.length > 1) {
      for (const p of defines) jointlyOpen.add(p);
    }
    if (defines.length === 0) {
      issues.push({
        code: 'no-unknown',
        message: 'this math call determines no new placeholder; it is kept as a check',
        span: d.span,
        severity: 'warning',
        callId: id,
      });
    }
    const uses = mentioned.filter((p) => !defines.includes(p));
    return { ...(rest as Omit<MathCall, 'defines' | 'uses' | 'id' | 'index'>), id, index: i, defines, uses };
  });

  const answer = parseAnswer(safeText, segments, o.placeholderPrefix);
  const placeholders = [...new Set([...calls.flatMap((c) => [...c.defines, ...c.uses])])];
  const defined = new Set(calls.flatMap((c) => c.defines));
  for (const c of calls) {
    for (const p of c.uses) {
      if (!defined.has(p)) {
        issues.push({
          code: 'undefined',
          message: `${p} is used but no call defines it`,
          span: c.span,
          severity: 'error',
          callId: c.id,
        });
      }
    }
  }
  if (answer?.kind === 'placeholder') {
    if (!placeholders.includes(answer.name)) placeholders.push(answer.name);
    if (!defined.has(answer.name)) {
      issues.push({
        code: 'undefined',
        message: `the answer ${answer.name} is never defined`,
        span: answer.span,
        severity: 'error',
      });
    }
  }
  issues.sort((a, b) => a.span[0] - b.span[0]);
  return { text: safeText, calls, issues, answer, placeholders };
}
