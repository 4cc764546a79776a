/**
 * Solves a system of equations over placeholders in exact arithmetic, the way
 * Chain-of-Abstraction reifies math calls (Gao et al. 2024, §2.3 of the spec):
 * each side becomes an affine form over the unknowns; equations with one
 * unknown are solved and substituted until nothing changes; a stall triggers
 * Gaussian elimination on the remaining linear equations; nonlinear terms wait
 * until their inputs are known. Order and side of the unknown do not matter.
 */
import {
  type ArithIssue,
  type ArithOptions,
  type Expr,
  exponentOf,
  internal,
  type Span,
} from './expression.js';
import { Rational } from './rational.js';

const { limitsOf, fail, IssueSignal } = internal;

/** `constant + Σ coeff·var`, coefficients never zero. */
export interface Affine {
  coeffs: Map<string, Rational>;
  constant: Rational;
}

function constAffine(c: Rational): Affine {
  return { coeffs: new Map(), constant: c };
}

function scale(a: Affine, k: Rational): Affine {
  if (k.isZero()) return constAffine(Rational.ZERO);
  const coeffs = new Map<string, Rational>();
  for (const [v, c] of a.coeffs) coeffs.set(v, c.mul(k));
  return { coeffs, constant: a.constant.mul(k) };
}

function combine(a: Affine, b: Affine, sign: 1 | -1): Affine {
  const coeffs = new Map(a.coeffs);
  for (const [v, c] of b.coeffs) {
    const next = (coeffs.get(v) ?? Rational.ZERO).add(sign === 1 ? c : c.neg());
    if (next.isZero()) coeffs.delete(v);
    else coeffs.set(v, next);
  }
  return { coeffs, constant: sign === 1 ? a.constant.add(b.constant) : a.constant.sub(b.constant) };
}

/** Thrown internally when a term is nonlinear in the still-unknown variables. */
class Nonlinear {
  constructor(readonly span: Span) {}
}

/**
 * Affine form of `e` with `known` substituted. Returns null when a product,
 * quotient or power involves unknowns nonlinearly (the caller defers it).
 */
export function toAffine(
  e: Expr,
  known: ReadonlyMap<string, Rational>,
  options?: ArithOptions,
): { ok: true; value: Affine | null } | { ok: false; issue: ArithIssue } {
  const lim = limitsOf(options);
  const rec = (n: Expr): Affine => {
    switch (n.type) {
      case 'num':
        return constAffine(n.value);
      case 'var': {
        const v = known.get(n.name);
        return v !== undefined
          ? constAffine(v)
          : { coeffs: new Map([[n.name, Rational.ONE]]), constant: Rational.ZERO };
      }
      case 'neg':
        return scale(rec(n.arg), Rational.of(-1n));
      case 'percent':
        return scale(rec(n.arg), Rational.of(1n, 100n));
      case 'bin': {
        const a = rec(n.left);
        const b = rec(n.right);
        switch (n.op) {
          case '+':
            return combine(a, b, 1);
          case '-':
            return combine(a, b, -1);
          case '*':
            if (a.coeffs.size === 0) return scale(b, a.constant);
            if (b.coeffs.size === 0) return scale(a, b.constant);
            throw new Nonlinear(n.span);
          case '/':
            if (b.coeffs.size !== 0) throw new Nonlinear(n.span);
            if (b.constant.isZero()) fail('division-by-zero', 'division by zero', n.span);
            return scale(a, Rational.ONE.div(b.constant));
          case '^': {
            if (b.coeffs.size !== 0) throw new Nonlinear(n.span);
            const ex = exponentOf(b.constant, lim, n.right.span);
            if (!ex.ok) throw new IssueSignal(ex.issue);
            if (ex.value === 1) return a;
            if (ex.value === 0) return constAffine(Rational.ONE);
            if (a.coeffs.size !== 0) throw new Nonlinear(n.span);
            if (a.constant.isZero() && ex.value < 0)
              fail('division-by-zero', 'zero to a negative power', n.span);
            if (a.constant.bits() * Math.abs(ex.value) > lim.maxBits + 64) {
              fail('too-many-digits', `power exceeds ${lim.maxBits} bits`, n.span);
            }
            return constAffine(a.constant.pow(ex.value));
          }
        }
      }
    }
  };
  try {
    return { ok: true, value: rec(e) };
  } catch (err) {
    if (err instanceof Nonlinear) return { ok: true, value: null };
    if (err instanceof IssueSignal) return { ok: false, issue: err.issue };
    throw err;
  }
}

/** One equation `lhs = rhs`, with an id the caller uses to map outcomes back. */
export interface Equation {
  id: string;
  lhs: Expr;
  rhs: Expr;
}

/** What happened to one equation. */
export type EquationStatus =
  | { status: 'solved'; defines: string[] }
  | { status: 'check'; holds: true }
  | { status: 'inconsistent'; residual: Rational }
  | { status: 'underdetermined'; unknowns: string[] }
  | { status: 'nonlinear'; unknowns: string[] }
  | { status: 'error'; issue: ArithIssue };

/** Outcome of `solveLinearSystem`. */
export interface SystemSolution {
  /** Every variable with a value (given or solved). */
  values: Map<string, Rational>;
  /** Per equation id. */
  equations: Map<string, EquationStatus>;
  /** Variables left without a value. */
  unknown: string[];
  /** True when every equation was solved or checked (none inconsistent) and no variable is left unknown. */
  complete: boolean;
}

function unknownsOf(e: Expr, known: ReadonlyMap<string, Rational>, out: Set<string>): void {
  if (e.type === 'var') {
    if (!known.has(e.name)) out.add(e.name);
  } else if (e.type === 'neg' || e.type === 'percent') unknownsOf(e.arg, known, out);
  else if (e.type === 'bin') {
    unknownsOf(e.left, known, out);
    unknownsOf(e.right, known, out);
  }
}

/**
 * Solves equations over placeholders jointly: propagation of single-unknown
 * equations, Gaussian elimination when that stalls, deferral of nonlinear
 * terms until their inputs are known.
 *
 * @example
 * const eq = (id: string, l: string, r: string) =>
 *   ({ id, lhs: (parseExpression(l) as any).value, rhs: (parseExpression(r) as any).value });
 * const s = solveLinearSystem([eq('a', 'y2', 'y1 * 2'), eq('b', '20 + 35', 'y1')]);
 * s.values.get('y2')?.toString(); // '110'
 */
export function solveLinearSystem(
  equations: readonly Equation[],
  given: ReadonlyMap<string, Rational> = new Map(),
  options?: ArithOptions,
): SystemSolution {
  const values = new Map(given);
  const status = new Map<string, EquationStatus>();
  const open = new Set(equations.map((e) => e.id));
  const byId = new Map(equations.map((e) => [e.id, e]));
  const lim = limitsOf(options);

  const settle = (id: string, s: EquationStatus): void => {
    status.set(id, s);
    open.delete(id);
  };

  let changed = true;
  while (changed && open.size > 0) {
    changed = false;
    // 1. Propagation: solve every equation with exactly one unknown.
    const linear: { id: string; form: Affine }[] = [];
    for (const id of [...open]) {
      const eq = byId.get(id)!;
      const l = toAffine(eq.lhs, values, options);
      const r = toAffine(eq.rhs, values, options);
      if (!l.ok || !r.ok) {
        settle(id, { status: 'error', issue: (l.ok ? (r as { issue: ArithIssue }) : l).issue });
        continue;
      }
      if (l.value === null || r.value === null) continue; // nonlinear for now
      const form = combine(l.value, r.value, -1); // lhs - rhs = 0
      if (form.coeffs.size === 0) {
        if (form.constant.isZero()) settle(id, { status: 'check', holds: true });
        else settle(id, { status: 'inconsistent', residual: form.constant });
        continue;
      }
      if (form.coeffs.size === 1) {
        const [[v, c]] = [...form.coeffs];
        const value = form.constant.neg().div(c);
        if (value.bits() > lim.maxBits) {
          settle(id, {
            status: 'error',
            issue: {
              code: 'too-many-digits',
              message: `${v} exceeds ${lim.maxBits} bits`,
              span: eq.lhs.span,
            },
          });
          continue;
        }
        values.set(v, value);
        settle(id, { status: 'solved', defines: [v] });
        changed = true;
        continue;
      }
      linear.push({ id, form });
    }
    if (changed || linear.length === 0) continue;
    // 2. Elimination: Gauss-Jordan over the remaining linear equations.
    const solved = eliminate(linear);
    for (const [id, s] of solved.rows) {
      if (s.kind === 'inconsistent') settle(id, { status: 'inconsistent', residual: s.residual });
    }
    for (const [v, { value, id }] of solved.values) {
      values.set(v, value);
      const prev = status.get(id);
      const defines = prev?.status === 'solved' ? [...prev.defines, v] : [v];
      settle(id, { status: 'solved', defines });
      changed = true;
    }
  }

  // 3. Whatever is left is underdetermined or waits on a nonlinear term.
  for (const id of open) {
    const eq = byId.get(id)!;
    const u = new Set<string>();
    unknownsOf(eq.lhs, values, u);
    unknownsOf(eq.rhs, values, u);
    const l = toAffine(eq.lhs, values, options);
    const r = toAffine(eq.rhs, values, options);
    const nonlinear = (l.ok && l.value === null) || (r.ok && r.value === null);
    status.set(id, { status: nonlinear ? 'nonlinear' : 'underdetermined', unknowns: [...u] });
  }
  const all = new Set<string>();
  for (const eq of equations) {
    unknownsOf(eq.lhs, new Map(), all);
    unknownsOf(eq.rhs, new Map(), all);
  }
  const unknown = [...all].filter((v) => !values.has(v));
  const complete =
    unknown.length === 0 && [...status.values()].every((s) => s.status === 'solved' || s.status === 'check');
  return { values, equations: status, unknown, complete };
}

type RowOutcome = { kind: 'inconsistent'; residual: Rational };

/**
 * Gauss-Jordan elimination on rows `Σ c·v + k = 0`. Returns the variables a
 * row pins down alone (its pivot with no free variables left) and rows that
 * reduce to `k = 0` with k ≠ 0.
 */
function eliminate(rows: { id: string; form: Affine }[]): {
  values: Map<string, { value: Rational; id: string }>;
  rows: Map<string, RowOutcome>;
} {
  const work = rows.map((r) => ({ id: r.id, coeffs: new Map(r.form.coeffs), constant: r.form.constant }));
  const pivots: { row: number; v: string }[] = [];
  let rank = 0;
  const vars = [...new Set(work.flatMap((r) => [...r.coeffs.keys()]))].sort();
  for (const v of vars) {
    const p = work.findIndex((r, i) => i >= rank && r.coeffs.has(v));
    if (p < 0) continue;
    [work[rank], work[p]] = [work[p], work[rank]];
    const pr = work[rank];
    const inv = Rational.ONE.div(pr.coeffs.get(v)!);
    for (const [k, c] of pr.coeffs) pr.coeffs.set(k, c.mul(inv));
    pr.constant = pr.constant.mul(inv);
    for (let i = 0; i < work.length; i++) {
      if (i === rank) continue;
      const f = work[i].coeffs.get(v);
      if (!f) continue;
      const next = combine(
        { coeffs: work[i].coeffs, constant: work[i].constant },
        scale({ coeffs: pr.coeffs, constant: pr.constant }, f),
        -1,
      );
      work[i].coeffs = next.coeffs;
      work[i].constant = next.constant;
    }
    pivots.push({ row: rank, v });
    rank++;
  }
  const values = new Map<string, { value: Rational; id: string }>();
  const out = new Map<string, RowOutcome>();
  for (const { row, v } of pivots) {
    const r = work[row];
    if (r.coeffs.size === 1) values.set(v, { value: r.constant.neg(), id: r.id });
  }
  for (let i = rank; i < work.length; i++) {
    const r = work[i];
    if (r.coeffs.size === 0 && !r.constant.isZero())
      out.set(r.id, { kind: 'inconsistent', residual: r.constant });
  }
  return { values, rows: out };
}
