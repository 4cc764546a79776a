/**
 * The math tool as a `Tool`: evaluates an expression exactly, or solves one
 * linear equation for its single unknown (`2 * x + 3 = 11`), with @lab/tasks'
 * safe parser (never JavaScript evaluation).
 */
import { evaluateExpression, parseExpression, solveLinearSystem } from '@lab/tasks';
import type { Tool } from './types.js';

/**
 * Creates the equation-solver tool (default name `Calculator`).
 *
 * @example
 * const calc = equationSolverTool();
 * await calc.call('1,250 * 3'); // 3750
 * await calc.call('2 * x + 3 = 11'); // 4
 */
export function equationSolverTool(opts: { name?: string; allowPercent?: boolean } = {}): Tool {
  const arith = { allowPercent: opts.allowPercent ?? true, variablePattern: /^[A-Za-z]\w*$/ };
  return {
    name: opts.name ?? 'Calculator',
    description: 'exact arithmetic: an expression, or one linear equation in one unknown',
    async call(arg) {
      const text = String(arg);
      const eq = text.indexOf('=');
      if (eq < 0) {
        const r = evaluateExpression(text, new Map(), arith);
        if (!r.ok) throw new Error(`${r.issue.code}: ${r.issue.message}`);
        // The nearest double, not a 6-place display string: 1/3 stays 0.3333333333333333.
        return r.value.toNumber();
      }
      const l = parseExpression(text.slice(0, eq), arith);
      const rr = parseExpression(text.slice(eq + 1), arith);
      if (!l.ok) throw new Error(`${l.issue.code}: ${l.issue.message}`);
      if (!rr.ok) throw new Error(`${rr.issue.code}: ${rr.issue.message}`);
      const s = solveLinearSystem([{ id: 'q', lhs: l.value, rhs: rr.value }], new Map(), arith);
      if (s.unknown.length !== 0 || s.values.size !== 1) {
        throw new Error(`cannot solve "${text}" for exactly one unknown (${s.equations.get('q')?.status})`);
      }
      return [...s.values.values()][0].toNumber();
    },
  };
}
