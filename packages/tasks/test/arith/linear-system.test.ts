import { describe, expect, it } from 'vitest';
import { createRng, type Equation, parseExpression, Rational, solveLinearSystem } from '../../src/index.js';

function eq(id: string, lhs: string, rhs: string): Equation {
  const l = parseExpression(lhs);
  const r = parseExpression(rhs);
  if (!l.ok || !r.ok) throw new Error(`bad test equation ${lhs} = ${rhs}`);
  return { id, lhs: l.value, rhs: r.value };
}
const val = (s: ReturnType<typeof solveLinearSystem>, v: string) => s.values.get(v)?.toString();

describe('solveLinearSystem', () => {
  it('solves chained calls regardless of order and side', () => {
    const forward = solveLinearSystem([eq('a', '20 + 35', 'y1'), eq('b', 'y1 * 2', 'y2')]);
    const reversed = solveLinearSystem([eq('b', 'y2', 'y1 * 2'), eq('a', 'y1', '20 + 35')]);
    for (const s of [forward, reversed]) {
      expect(val(s, 'y1')).toBe('55');
      expect(val(s, 'y2')).toBe('110');
      expect(s.complete).toBe(true);
    }
    // unknown inside the expression: 3 * y1 + 4 = 19
    expect(val(solveLinearSystem([eq('a', '3 * y1 + 4', '19')]), 'y1')).toBe('5');
  });

  it('uses elimination when no equation has a single unknown', () => {
    const s = solveLinearSystem([
      eq('a', 'y1 + y2', '10'),
      eq('b', 'y1 - y2', '4'),
      eq('c', 'y3', 'y1 * y2'),
    ]);
    expect(val(s, 'y1')).toBe('7');
    expect(val(s, 'y2')).toBe('3');
    expect(val(s, 'y3')).toBe('21'); // nonlinear, deferred until y1 and y2 are known
    expect(s.complete).toBe(true);
  });

  it('solves random triangular and dense systems exactly (checked by substitution)', () => {
    const rng = createRng(5);
    let solvedCount = 0;
    for (let t = 0; t < 30; t++) {
      const n = rng.int(1, 4);
      const truth = Array.from({ length: n }, () => rng.int(-50, 50));
      const eqs: Equation[] = [];
      for (let i = 0; i < n; i++) {
        const coeffs = truth.map(() => rng.int(-5, 5));
        coeffs[i] = coeffs[i] === 0 ? 1 : coeffs[i];
        const lhs = coeffs.map((c, j) => `(${c}) * y${j + 1}`).join(' + ');
        const rhs = String(coeffs.reduce((acc, c, j) => acc + c * truth[j], 0));
        eqs.push(rng.next() < 0.5 ? eq(`e${i}`, lhs, rhs) : eq(`e${i}`, rhs, lhs));
      }
      const s = solveLinearSystem(eqs);
      if (!s.complete) {
        // singular draws may stay underdetermined, but never inconsistent
        expect([...s.equations.values()].some((e) => e.status === 'inconsistent')).toBe(false);
        continue;
      }
      solvedCount++;
      truth.forEach((x, j) => {
        expect(val(s, `y${j + 1}`)).toBe(String(x));
      });
    }
    expect(solvedCount).toBeGreaterThan(20);
  });

  it('reports underdetermined, inconsistent and nonlinear outcomes', () => {
    const under = solveLinearSystem([eq('a', 'y1 + y2', '10')]);
    expect(under.equations.get('a')).toMatchObject({ status: 'underdetermined' });
    expect(under.unknown.sort()).toEqual(['y1', 'y2']);
    expect(under.complete).toBe(false);

    const inc = solveLinearSystem([eq('a', 'y1', '3'), eq('b', 'y1 + 1', '5')]);
    expect(inc.equations.get('b')).toMatchObject({ status: 'inconsistent' });
    expect(inc.complete).toBe(false);

    const incElim = solveLinearSystem([eq('a', 'y1 + y2', '3'), eq('b', '2*y1 + 2*y2', '7')]);
    expect([...incElim.equations.values()].some((s) => s.status === 'inconsistent')).toBe(true);

    const nl = solveLinearSystem([eq('a', 'y1 * y1', '4')]);
    expect(nl.equations.get('a')).toMatchObject({ status: 'nonlinear', unknowns: ['y1'] });

    const div0 = solveLinearSystem([eq('a', 'y1 / 0', '4')]);
    expect(div0.equations.get('a')).toMatchObject({ status: 'error', issue: { code: 'division-by-zero' } });
  });

  it('honours given values and checks equations without unknowns', () => {
    const s = solveLinearSystem(
      [eq('a', 'y1 + 1', 'y2'), eq('b', '2 + 2', '4')],
      new Map([['y1', Rational.of(1n, 2n)]]),
    );
    expect(val(s, 'y2')).toBe('1.5');
    expect(s.equations.get('b')).toEqual({ status: 'check', holds: true });
  });
});
