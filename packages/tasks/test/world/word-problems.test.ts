import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  generateArithmeticWorld,
  generateWordProblems,
  parseExpression,
  Rational,
  solveLinearSystem,
  WORD_PROBLEM_SPLITS,
} from '../../src/index.js';

const world = generateArithmeticWorld({
  seed: 3,
  sizes: { train: 2000, id: 200, 'ood-numeric': 200, 'ood-long': 100 },
});

describe('arithmetic word-problem world', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateWordProblems({ n: 20, seed: 1 });
    const b = generateWordProblems({ n: 20, seed: 1 });
    const c = generateWordProblems({ n: 20, seed: 2 });
    expect(a).toEqual(b);
    expect(a.map((p) => p.question)).not.toEqual(c.map((p) => p.question));
  });

  it('recomputes every answer from its CoT steps with the safe evaluator', () => {
    for (const split of Object.values(world)) {
      for (const p of split) {
        let prev: number | null = null;
        for (const s of p.steps) {
          if (s.leftFrom !== null) expect(s.left).toBe(prev);
          const r = evaluateExpression(`${s.left} ${s.op} ${s.right}`);
          expect(r.ok && r.value.equals(Rational.of(BigInt(s.result)))).toBe(true);
          expect(Number.isInteger(s.result) && s.result > 0).toBe(true);
          prev = s.result;
        }
        expect(prev).toBe(p.answerValue);
        expect(p.cotSteps.at(-1)).toBe(`The answer is ${p.answer}.`);
        // every CoT line's arithmetic holds
        for (const line of p.cotSteps.slice(0, -1)) {
          const m = /so (.+) = (\d+)\.$/.exec(line)!;
          const r = evaluateExpression(m[1]);
          expect(r.ok && r.value.toString()).toBe(m[2]);
        }
      }
    }
  });

  it('reifies every CoA chain to the gold answer by solving its calls as a system', () => {
    for (const p of [...world.id, ...world['ood-long']]) {
      const calls = [...p.coa.matchAll(/\[([^\]=]+)=\s*(y\d+)\]/g)];
      expect(calls.length).toBe(p.nSteps);
      const eqs = calls.map((m, i) => {
        const l = parseExpression(m[1]);
        const r = parseExpression(m[2]);
        if (!l.ok || !r.ok) throw new Error(m[0]);
        return { id: String(i), lhs: l.value, rhs: r.value };
      });
      const s = solveLinearSystem(eqs.reverse());
      const final = /The answer is (y\d+)\.$/.exec(p.coa)![1];
      expect(s.values.get(final)?.toString()).toBe(p.answer);
      // the chain itself contains no computed result
      for (const st of p.steps.slice(0, -1)) expect(p.coa.includes(`= ${st.result}`)).toBe(false);
    }
  });

  it('respects the split definitions', () => {
    const inRange = (p: (typeof world.train)[number], lo: number, hi: number) =>
      p.steps.every((s) =>
        s.op === '+' || s.op === '-' ? s.right >= lo && s.right <= hi : s.right >= 2 && s.right <= 9,
      );
    for (const [name, split] of Object.entries(world) as [
      keyof typeof WORD_PROBLEM_SPLITS,
      typeof world.train,
    ][]) {
      const spec = WORD_PROBLEM_SPLITS[name];
      for (const p of split) {
        expect(p.nSteps).toBeGreaterThanOrEqual(spec.minSteps!);
        expect(p.nSteps).toBeLessThanOrEqual(spec.maxSteps!);
        expect(inRange(p, spec.operandMin!, spec.operandMax!)).toBe(true);
        expect(p.split).toBe(name);
      }
    }
    const trainQs = new Set(world.train.map((p) => p.question));
    expect(world.id.some((p) => trainQs.has(p.question))).toBe(false);
    expect(new Set(world.train.map((p) => p.question)).size).toBe(world.train.length);
    // all four operators occur
    const ops = new Set(world.train.flatMap((p) => p.steps.map((s) => s.op)));
    expect([...ops].sort()).toEqual(['*', '+', '-', '/']);
  });

  it('rejects inconsistent options', () => {
    expect(() => generateWordProblems({ minSteps: 3, maxSteps: 2 })).toThrow(/min exceeds/);
    expect(() => generateWordProblems({ bogus: 1 } as never)).toThrow();
  });
});
