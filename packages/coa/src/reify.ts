/**
 * Reification (spec §2.2–2.3): fill a chain's placeholders. Math calls are
 * solved jointly as one exact system (@lab/tasks' solver), so neither order
 * nor the side of the unknown matters; tool calls run level by level, every
 * ready call of a round in parallel under a concurrency cap; rounds repeat
 * until nothing changes. Model text is never evaluated as code.
 */
import { type Equation, Rational, solveLinearSystem } from '@lab/tasks';
import { buildGraph } from './graph.js';
import { createLimiter } from './limit.js';
import {
  type Call,
  type ParseChainOptions,
  type ParsedChain,
  type ParseIssue,
  parseChain,
  placeholderRegex,
} from './parser.js';
import type { Tool } from './tools/types.js';

/** A filled placeholder: numbers stay numbers (never quoted). */
export type PlaceholderValue = number | string;

/** What happened to one call. */
export type CallStatus =
  | 'ok'
  | 'check'
  | 'error'
  | 'blocked'
  | 'underdetermined'
  | 'inconsistent'
  | 'nonlinear'
  | 'cycle'
  | 'unknown-tool';

/** One call's outcome, with its timing (ms since reification started). */
export interface CallOutcome {
  id: string;
  kind: 'math' | 'tool';
  tool?: string;
  /** The placeholder(s) this call defines. */
  defines: string[];
  /** The argument as sent to the tool (placeholders filled). */
  arg?: string | number;
  level: number | null;
  status: CallStatus;
  value?: PlaceholderValue;
  error?: string;
  tStartMs?: number;
  tEndMs?: number;
}

/** Result of `reify`. */
export interface Reification {
  /** Every call fine, no error issue, and an answer. */
  ok: boolean;
  chain: ParsedChain;
  /** Placeholder → value (numbers as JavaScript numbers). */
  values: Record<string, PlaceholderValue>;
  /** Exact values of numeric placeholders. */
  exact: Map<string, Rational>;
  calls: CallOutcome[];
  /** Parse, graph and runtime problems. */
  issues: ParseIssue[];
  /** The final answer as text (numbers formatted exactly), or null. */
  answer: string | null;
  answerValue: PlaceholderValue | null;
  /** The chain with every known placeholder replaced by its value. */
  filled: string;
  /** Sum of tool-call durations, and wall-clock of the whole reification, in ms. */
  toolMs: number;
  wallMs: number;
}

/** Options of `reify`. */
export interface ReifyOptions {
  /** Tools by name (matched case-insensitively). */
  tools?: readonly Tool[];
  /** Most tool calls in flight at once. Default 4. */
  concurrency?: number;
  /** Abort every pending tool call. */
  signal?: AbortSignal;
  /** Per tool call time limit in ms (none by default). */
  toolTimeoutMs?: number;
  /** Parser options when `chain` is text. */
  parse?: ParseChainOptions;
  /** Clock (ms); default `performance.now`. */
  now?: () => number;
  /**
   * Simulated latency of the math tool per call, in ms (default 0). Math calls
   * of one level wait together, levels one after another, as an external
   * solver service would (used by the timing benchmarks).
   */
  mathLatencyMs?: number;
}

/** Formats an exact value: integers and terminating decimals exactly, others to 6 places. */
export function formatValue(r: Rational): string {
  if (r.isInteger()) return r.toString();
  if (r.isTerminating()) {
    const s = r.toString();
    if (!s.includes('/')) return s;
  }
  return r.toDecimal(6);
}

function numericFromTool(v: string | number): Rational | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Rational.fromNumber(v) : null;
  const t = v.trim().replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  const m = /^(-?)(\d*\.?\d+(?:[eE][+-]?\d+)?)$/.exec(t);
  if (!m) return null;
  const r = Rational.parse(m[2]);
  return r && m[1] ? r.neg() : r;
}

/**
 * Reifies a chain (text or parsed): solves math calls exactly, runs tools,
 * and reads the answer.
 *
 * @example
 * const r = await reify('[20 + 35 = y1] [y1 × 2 = y2]. The answer is y2.');
 * r.answer; // '110'
 * r.filled; // '[20 + 35 = 55] [55 × 2 = 110]. The answer is 110.'
 */
export async function reify(chain: string | ParsedChain, options: ReifyOptions = {}): Promise<Reification> {
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const parsed = typeof chain === 'string' ? parseChain(chain, options.parse) : chain;
  const prefix = options.parse?.placeholderPrefix ?? 'y';
  const graph = buildGraph(parsed.calls);
  const issues: ParseIssue[] = [...parsed.issues, ...graph.issues];
  const tools = new Map((options.tools ?? []).map((t) => [t.name.toLowerCase(), t]));
  const limit = createLimiter(options.concurrency ?? 4);
  const cyclic = new Set(graph.cycles.flat());

  const exact = new Map<string, Rational>();
  const text = new Map<string, string>();
  const outcomes = new Map<string, CallOutcome>();
  for (const c of parsed.calls) {
    outcomes.set(c.id, {
      id: c.id,
      kind: c.kind,
      ...(c.kind === 'tool' ? { tool: c.tool } : {}),
      defines: c.defines,
      level: graph.level.get(c.id) ?? null,
      status: cyclic.has(c.id) ? 'cycle' : 'blocked',
    });
  }
  const has = (p: string) => exact.has(p) || text.has(p);
  const display = (p: string): string | undefined => {
    const r = exact.get(p);
    return r ? formatValue(r) : text.get(p);
  };
  const fill = (s: string): string => s.replace(placeholderRegex(prefix), (m) => display(m) ?? m);

  const mathCalls = parsed.calls.filter((c): c is Extract<Call, { kind: 'math' }> => c.kind === 'math');
  const equations: Equation[] = mathCalls.map((c) => ({ id: c.id, lhs: c.lhs, rhs: c.rhs }));
  const toolCalls = parsed.calls.filter((c): c is Extract<Call, { kind: 'tool' }> => c.kind === 'tool');
  const started = new Set<string>();
  let toolMs = 0;

  const runTool = async (c: (typeof toolCalls)[number]): Promise<void> => {
    const out = outcomes.get(c.id)!;
    const tool = tools.get(c.tool.toLowerCase());
    const trimmed = c.arg.trim();
    let arg: string | number = fill(c.arg);
    if (exact.has(trimmed)) arg = exact.get(trimmed)!.toNumber();
    else if (/^-?\d+(\.\d+)?$/.test(trimmed)) arg = Number(trimmed);
    out.arg = arg;
    if (!tool) {
      out.status = 'unknown-tool';
      out.error = `no tool named "${c.tool}"`;
      return;
    }
    const args = c.args?.map((a) =>
      a.type === 'placeholder'
        ? (exact.get(a.name)?.toNumber() ?? text.get(a.name) ?? a.name)
        : a.type === 'number'
          ? a.value
          : fill(a.value),
    );
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.toolTimeoutMs === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new Error(`timed out after ${options.toolTimeoutMs} ms`)),
            options.toolTimeoutMs,
          );
    out.tStartMs = now() - t0;
    try {
      const value = await new Promise<string | number>((resolve, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
        tool.call(arg, c.option, controller.signal, { args, callId: c.id }).then(resolve, reject);
      });
      const num = numericFromTool(value);
      if (num) {
        exact.set(c.output, num);
        out.value = num.toNumber();
      } else {
        text.set(c.output, String(value));
        out.value = String(value);
      }
      out.status = 'ok';
    } catch (e) {
      out.status = 'error';
      out.error = e instanceof Error ? e.message : String(e);
    } finally {
      out.tEndMs = now() - t0;
      toolMs += out.tEndMs - out.tStartMs;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  };

  let solution: ReturnType<typeof solveLinearSystem>;
  for (;;) {
    solution = solveLinearSystem(equations, exact, { allowPercent: options.parse?.allowPercent });
    for (const [k, v] of solution.values) if (!exact.has(k) && !text.has(k)) exact.set(k, v);
    const ready = toolCalls.filter((c) => !started.has(c.id) && !cyclic.has(c.id) && c.uses.every(has));
    if (ready.length === 0 || options.signal?.aborted) break;
    for (const c of ready) started.add(c.id);
    await Promise.all(ready.map((c) => limit(() => runTool(c))));
  }

  // Simulated math-tool latency: one wait per level of math calls.
  const mathLatency = options.mathLatencyMs ?? 0;
  if (mathLatency > 0 && mathCalls.length > 0) {
    const levels = [...new Set(mathCalls.map((c) => graph.level.get(c.id) ?? 0))].sort((x, y) => x - y);
    for (const lv of levels) {
      const start = now() - t0;
      await new Promise((r) => setTimeout(r, mathLatency));
      const end = now() - t0;
      for (const c of mathCalls) {
        if ((graph.level.get(c.id) ?? 0) !== lv) continue;
        const out = outcomes.get(c.id)!;
        out.tStartMs = start;
        out.tEndMs = end;
        toolMs += end - start;
      }
    }
  }

  // Math outcomes from the final solve.
  for (const c of mathCalls) {
    const out = outcomes.get(c.id)!;
    if (cyclic.has(c.id)) continue;
    const s = solution.equations.get(c.id);
    if (!s) continue;
    switch (s.status) {
      case 'solved':
        out.status = 'ok';
        out.value = exact.get(c.defines[0] ?? s.defines[0])?.toNumber();
        break;
      case 'check':
        out.status = 'check';
        break;
      case 'inconsistent':
        out.status = 'inconsistent';
        out.error = `the equation is off by ${formatValue(s.residual)} given the other calls`;
        break;
      case 'underdetermined':
      case 'nonlinear': {
        const textual = s.unknowns.filter((u) => text.has(u));
        if (textual.length > 0) {
          out.status = 'error';
          out.error = `${textual.join(', ')} ${textual.length > 1 ? 'are' : 'is'} text, not a number`;
        } else {
          out.status = s.status;
          out.error = `${s.unknowns.join(', ')} cannot be determined${s.status === 'nonlinear' ? ' (nonlinear)' : ''}`;
        }
        break;
      }
      case 'error':
        out.status = 'error';
        out.error = s.issue.message;
        break;
    }
    if (out.status === 'ok' && c.defines.length > 0 && !c.defines.every((p) => exact.has(p))) {
      out.status = 'underdetermined';
    }
  }
  // The solver may have solved a call's own unknowns via another call; a call
  // whose placeholders are all known is fine even if another equation defined them.
  for (const c of mathCalls) {
    const out = outcomes.get(c.id)!;
    if (out.status === 'blocked' && [...c.defines, ...c.uses].every((p) => exact.has(p)))
      out.status = 'check';
  }

  for (const out of outcomes.values()) {
    if (out.status === 'ok' || out.status === 'check') continue;
    const call = parsed.calls.find((c) => c.id === out.id)!;
    const message =
      out.status === 'blocked'
        ? `waits on ${call.uses.filter((p) => !has(p)).join(', ') || 'nothing'} which never got a value`
        : (out.error ?? out.status);
    if (out.status !== 'cycle') {
      issues.push({
        code: out.status === 'error' && out.kind === 'math' ? 'bad-expression' : runtimeCode(out.status),
        message: `${out.id} ${out.status}: ${message}`,
        span: call.span,
        severity: 'error',
        callId: out.id,
      });
    }
  }

  const values: Record<string, PlaceholderValue> = {};
  for (const [k, v] of exact) values[k] = v.toNumber();
  for (const [k, v] of text) values[k] = v;

  let answer: string | null = null;
  let answerValue: PlaceholderValue | null = null;
  const a = parsed.answer;
  if (a?.kind === 'placeholder') {
    answer = display(a.name) ?? null;
    answerValue = values[a.name] ?? null;
  } else if (a?.kind === 'number') {
    answer = String(a.value);
    answerValue = a.value;
  } else if (a?.kind === 'text') {
    answer = fill(a.value);
    answerValue = answer;
  }
  const calls = parsed.calls.map((c) => outcomes.get(c.id)!);
  const ok =
    answer !== null &&
    calls.every((c) => c.status === 'ok' || c.status === 'check') &&
    !issues.some((i) => i.severity === 'error');
  return {
    ok,
    chain: parsed,
    values,
    exact,
    calls,
    issues,
    answer,
    answerValue,
    filled: fill(parsed.text),
    toolMs,
    wallMs: now() - t0,
  };
}

/** Runtime statuses reported as issues keep a stable code each. */
function runtimeCode(s: CallStatus): ParseIssue['code'] {
  switch (s) {
    case 'underdetermined':
    case 'inconsistent':
    case 'nonlinear':
    case 'unknown-tool':
    case 'blocked':
      return s;
    default:
      return 'tool-error';
  }
}
