/**
 * Training chains from gold solutions (spec §2.4), always kept only when
 * their reified answer equals the gold answer: from the templated world of
 * @lab/tasks, and from GSM8K's calculator annotations by a mechanical rewrite
 * (no LLM): the k-th `<<expr=c>>` becomes `[expr = yk]`, literals equal to an
 * earlier result become that placeholder, later mentions of a result become
 * its placeholder, and `#### n` becomes `The answer is yK.`
 */
import { type Gsm8kRecord, numericMatch, parseExpression, type WordProblem } from '@lab/tasks';
import { reify } from '../reify.js';
import type { ChainRecord } from './formats.js';

/** Equal up to 1e-9 (relative, or absolute near zero), by @lab/tasks' exact relaxed match. */
function sameNumber(a: number, b: number): boolean {
  // numericMatch reads `a` back exactly from its shortest decimal form; non-finite values never match.
  return (
    Number.isFinite(a) && Number.isFinite(b) && numericMatch(String(a), b, { relTol: 1e-9, absTol: 1e-9 })
  );
}

/**
 * Turns world problems into verified chain records (`origin: 'template'`).
 *
 * @example
 * const records = await chainsFromWordProblems(generateWordProblems({ n: 10 }));
 * records.every((r) => r.verified); // true
 */
export async function chainsFromWordProblems(problems: readonly WordProblem[]): Promise<ChainRecord[]> {
  const out: ChainRecord[] = [];
  for (const p of problems) {
    const r = await reify(p.coa);
    const verified = r.ok && r.answerValue !== null && sameNumber(Number(r.answerValue), p.answerValue);
    out.push({
      id: p.id,
      question: p.question,
      chain: p.coa,
      reified: r.filled,
      values: r.values,
      answer: p.answer,
      verified,
      ...(verified ? {} : { drop_reason: r.ok ? 'answer-mismatch' : 'reify-failed' }),
      origin: 'template',
    });
  }
  return out;
}

/** Why a GSM8K record was dropped. */
export type Gsm8kDropReason =
  | 'no-annotations'
  | 'bad-annotation'
  | 'no-answer-placeholder'
  | 'reify-failed'
  | 'answer-mismatch';

/** Yield of a rewrite run. */
export interface RewriteStats {
  total: number;
  kept: number;
  yield: number;
  ambiguous: number;
  dropped: Record<Gsm8kDropReason, number>;
}

const NUM_RE = /(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])/g;

function toNumber(s: string): number | null {
  const t = s.replace(/,/g, '').replace(/^\$/, '').trim();
  return /^-?\d*\.?\d+$/.test(t) ? Number(t) : null;
}

/** Most recent earlier result with this value, and whether several match. */
function lookup(
  results: readonly number[],
  v: number,
  upTo: number,
): { k: number; ambiguous: boolean } | null {
  let hit = -1;
  const distinct = new Set<number>();
  for (let j = 0; j < upTo; j++) {
    if (sameNumber(results[j], v)) {
      hit = j;
      distinct.add(j);
    }
  }
  return hit < 0 ? null : { k: hit, ambiguous: distinct.size > 1 };
}

/** Characters of a displayed equation before `=` (GSM8K writes `$40 x 5/100 = `). */
const DISPLAY_CHARS = /[\d.,+\-*/×÷x()$% ]/;

/**
 * Rewrites one GSM8K record into a CoA chain and verifies it.
 *
 * @example
 * const [rec] = parseGsm8kJsonl(line);
 * const { record } = await rewriteGsm8k(rec);
 * record.chain; // 'Natalia sold [48/2 = y1] clips in May.\nNatalia sold [y1+48 … = y2] …\nThe answer is y2.'
 */
export async function rewriteGsm8k(
  rec: Gsm8kRecord,
): Promise<{ record: ChainRecord; reason?: Gsm8kDropReason }> {
  const base = { id: rec.id, question: rec.question, answer: rec.final, origin: 'gsm8k-annot' as const };
  const drop = (reason: Gsm8kDropReason, chain = '', extra: Partial<ChainRecord> = {}) => ({
    record: { ...base, chain, reified: '', values: {}, verified: false, drop_reason: reason, ...extra },
    reason,
  });
  if (rec.annotations.length === 0) return drop('no-annotations');
  const text = rec.solution;
  const results: number[] = [];
  let ambiguous = false;
  let out = '';
  let pos = 0;

  // Step 4: later whole-number mentions of an earlier result become its placeholder.
  const replaceMentions = (s: string, upTo: number): string =>
    s.replace(NUM_RE, (m, _i: string, frac: string | undefined) => {
      if (frac !== undefined) return m;
      const v = toNumber(m);
      if (v === null) return m;
      const hit = lookup(results, v, upTo);
      if (!hit) return m;
      if (hit.ambiguous) ambiguous = true;
      return `y${hit.k + 1}`;
    });

  for (let k = 0; k < rec.annotations.length; k++) {
    const a = rec.annotations[k];
    const c = toNumber(a.result);
    if (c === null) return drop('bad-annotation');
    // Step 2: literals of the expression equal to an earlier result become that placeholder.
    const expr = a.expr.replace(NUM_RE, (m) => {
      const v = toNumber(m);
      const hit = v === null ? null : lookup(results, v, k);
      if (!hit) return m;
      if (hit.ambiguous) ambiguous = true;
      return `y${hit.k + 1}`;
    });
    if (!parseExpression(expr, { allowPercent: true }).ok) return drop('bad-annotation');
    // Step 3: drop the displayed "a/b = " before the annotation, when it is plain arithmetic.
    let pre = text.slice(pos, a.start);
    const eqMatch = /=\s*\$?\s*$/.exec(pre);
    if (eqMatch) {
      let s = eqMatch.index;
      while (s > 0 && DISPLAY_CHARS.test(pre[s - 1])) s--;
      // Never cut into a word ("box = " keeps "box"): move on to the next space.
      if (s > 0 && /\w/.test(pre[s - 1])) while (s < eqMatch.index && !/\s/.test(pre[s])) s++;
      const head = pre.slice(0, s);
      pre = head === '' || /\s$/.test(head) ? head : `${head} `;
    }
    out += `${replaceMentions(pre, k)}[${expr.trim()} = y${k + 1}]`;
    results.push(c);
    pos = a.end;
    const lit = /^\s?-?\$?[\d,]*\.?\d+/.exec(text.slice(pos));
    if (
      lit &&
      toNumber(lit[0].replace(/\s/g, '')) !== null &&
      sameNumber(toNumber(lit[0].replace(/\s/g, ''))!, c)
    ) {
      pos += lit[0].length;
    }
  }
  out += replaceMentions(text.slice(pos), results.length);
  out = out.trimEnd();
  // Step 5: the last placeholder valued n answers.
  const n = rec.finalValue;
  let answerK = -1;
  if (n !== null) for (let j = 0; j < results.length; j++) if (sameNumber(results[j], n)) answerK = j;
  if (answerK < 0) return drop('no-answer-placeholder', out, { ambiguous });
  const chain = `${out}\nThe answer is y${answerK + 1}.`;
  // Step 6: reify and compare.
  const r = await reify(chain, { parse: { allowPercent: true } });
  const values = r.values;
  if (r.answerValue === null || typeof r.answerValue !== 'number') {
    return drop('reify-failed', chain, { reified: r.filled, values, ambiguous });
  }
  if (!sameNumber(r.answerValue, n!))
    return drop('answer-mismatch', chain, { reified: r.filled, values, ambiguous });
  return {
    record: {
      ...base,
      chain,
      reified: r.filled,
      values,
      verified: true,
      ...(ambiguous ? { ambiguous } : {}),
    },
  };
}

/**
 * Rewrites GSM8K records mechanically and keeps those whose reified answer
 * matches `#### n` (tolerance 1e-9). Dropped records come back too, each with
 * its `drop_reason`.
 *
 * @example
 * const { kept, stats } = await fromGsm8k(await loadGsm8k('../shared/data/gsm8k/train.jsonl'));
 * stats.yield; // fraction kept
 */
export async function fromGsm8k(
  records: readonly Gsm8kRecord[],
): Promise<{ kept: ChainRecord[]; dropped: ChainRecord[]; stats: RewriteStats }> {
  const kept: ChainRecord[] = [];
  const dropped: ChainRecord[] = [];
  const counts: Record<Gsm8kDropReason, number> = {
    'no-annotations': 0,
    'bad-annotation': 0,
    'no-answer-placeholder': 0,
    'reify-failed': 0,
    'answer-mismatch': 0,
  };
  for (const rec of records) {
    const { record, reason } = await rewriteGsm8k(rec);
    if (reason) {
      counts[reason]++;
      dropped.push(record);
    } else kept.push(record);
  }
  return {
    kept,
    dropped,
    stats: {
      total: records.length,
      kept: kept.length,
      yield: records.length === 0 ? 0 : kept.length / records.length,
      ambiguous: kept.filter((r) => r.ambiguous).length,
      dropped: counts,
    },
  };
}
