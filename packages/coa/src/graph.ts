/**
 * The dependency graph of a chain (spec §2.2): an edge runs from the call
 * that defines a placeholder to each call that uses it; a call's level is its
 * longest path from a source. Math calls that determine each other (a linear
 * system written over several calls) are one strongly connected group, solved
 * jointly, so they are not a cycle; a loop through a tool call is.
 */
import type { Call, ParseIssue } from './parser.js';

/** Levels and problems of a chain's calls. */
export interface ChainGraph {
  /** Call id → ids of the calls it depends on. */
  dependsOn: Map<string, string[]>;
  /** Call id → level (0 for sources). Calls on a cycle get no level. */
  level: Map<string, number>;
  /** Groups of call ids, in an order where each depends only on earlier groups. */
  groups: string[][];
  /** Cycles through a tool call, as id lists. */
  cycles: string[][];
  issues: ParseIssue[];
}

/**
 * Builds the dependency graph (Tarjan's strongly connected components).
 *
 * @example
 * const g = buildGraph(parseChain('[2 + 3 = y1] [y1 -Wiki-> y2] [y2 * 2 = y3]').calls);
 * g.level.get('c3'); // 2
 */
export function buildGraph(calls: readonly Call[]): ChainGraph {
  const definers = new Map<string, string[]>();
  for (const c of calls) for (const p of c.defines) definers.set(p, [...(definers.get(p) ?? []), c.id]);
  const dependsOn = new Map<string, string[]>();
  for (const c of calls) {
    // A math call also depends on other math calls that define its own
    // unknowns jointly (same system): that is what makes them one group.
    const needs = c.kind === 'math' ? [...c.uses, ...c.defines] : c.uses;
    const deps = new Set<string>();
    for (const p of needs) for (const d of definers.get(p) ?? []) if (d !== c.id) deps.add(d);
    dependsOn.set(c.id, [...deps]);
  }

  // Tarjan's SCC, iterative-free recursion is fine: chains are short (a few hundred calls at most).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccs: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of dependsOn.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      sccs.push(comp); // Tarjan emits components dependencies-first
    }
  };
  for (const c of calls) if (!index.has(c.id)) visit(c.id);

  const byId = new Map(calls.map((c) => [c.id, c]));
  const cycles: string[][] = [];
  const issues: ParseIssue[] = [];
  const compOf = new Map<string, number>();
  sccs.forEach((comp, k) => {
    for (const id of comp) compOf.set(id, k);
    const hasTool = comp.some((id) => byId.get(id)!.kind === 'tool');
    if (comp.length > 1 && hasTool) {
      const ordered = comp.sort((a, b) => byId.get(a)!.index - byId.get(b)!.index);
      cycles.push(ordered);
      const first = byId.get(ordered[0])!;
      issues.push({
        code: 'cycle',
        message: `calls ${ordered.join(', ')} depend on each other through a tool call`,
        span: first.span,
        severity: 'error',
        callId: first.id,
      });
    }
  });
  const level = new Map<string, number>();
  const cyclic = new Set(cycles.flat());
  sccs.forEach((comp) => {
    if (comp.some((id) => cyclic.has(id))) return;
    let lv = 0;
    for (const id of comp) {
      for (const d of dependsOn.get(id)!) {
        if (comp.includes(d)) continue;
        const dl = level.get(d);
        lv = dl === undefined ? Number.NaN : Math.max(lv, dl + 1);
      }
    }
    if (!Number.isNaN(lv)) for (const id of comp) level.set(id, lv);
  });
  const groups = sccs.map((comp) => comp.sort((a, b) => byId.get(a)!.index - byId.get(b)!.index));
  return { dependsOn, level, groups, cycles, issues };
}
