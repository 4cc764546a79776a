/**
 * Parsers of the loop's own output markers: the worse-response reply
 * (`[User Question Modified]` … answer markers) and the category tag. Verdicts
 * are parsed by @lab/lm's `parseVerdict` (one parser for the whole project;
 * the original code had two that disagreed, spec §7); `recordVerdict` only maps
 * its result to the record form.
 */
import { parseVerdict, type Verdict } from '@lab/lm';
import { WORSE_MARKERS } from './templates.js';

/** A verdict as stored in judgment records: `null` when unparsed. */
export type RecordVerdict = 'A' | 'B' | 'tie' | null;

/** Maps lm's Verdict to the record form (`unparsed` → null). */
export function recordVerdict(v: Verdict): RecordVerdict {
  return v === 'unparsed' ? null : v;
}

/** Verdict of a judgment text in record form. */
export function parseJudgmentVerdict(text: string): RecordVerdict {
  return recordVerdict(parseVerdict(text));
}

export interface WorseResponse {
  /** x′, the modified instruction. */
  modifiedPrompt: string;
  /** y_l, the answer to x′ (the worse answer to x). */
  response: string;
}

/** Why a worse-response reply was rejected (stable codes for logs and tests). */
export type WorseResponseIssue =
  | 'missing-question-marker'
  | 'missing-answer-start'
  | 'missing-answer-end'
  | 'empty-modified-prompt'
  | 'empty-response';

// A marker matches case-insensitively, with any run of whitespace where the
// template has a space and optional spaces inside the brackets; models often
// change "start" to "Start" or wrap the line.
function markerPattern(marker: string): RegExp {
  const inner = marker
    .slice(1, -1)
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "['’]"))
    .join('\\s+');
  // Emphasis wrapped around the marker and a colon after it belong to the marker, not to the field.
  return new RegExp(`(?:\\*\\*|__)?\\[\\s*${inner}\\s*\\](?:\\*\\*|__)?:?`, 'gi');
}
const QUESTION = markerPattern(WORSE_MARKERS.question);
const START = markerPattern(WORSE_MARKERS.answerStart);
const END = markerPattern(WORSE_MARKERS.answerEnd);

function clean(field: string): string {
  return field.trim();
}

/**
 * Parses the worse-response reply, or explains why not. The last
 * `[User Question Modified]` marker that is followed by both answer markers
 * counts (a model that first echoes the format template still parses); the
 * answer is the text between the first start marker after it and the first end
 * marker after that. A missing marker or an empty field drops the pair.
 *
 * @example
 * ```ts
 * parseWorseResponseDetailed('[User Question Modified]\nName a city in Spain.\n' +
 *   "[The start of Assistant's answer to the modified instruction]\nMadrid\n" +
 *   "[The end of Assistant's answer to the modified instruction]");
 * // { ok: true, value: { modifiedPrompt: 'Name a city in Spain.', response: 'Madrid' } }
 * ```
 */
export function parseWorseResponseDetailed(
  text: string,
): { ok: true; value: WorseResponse } | { ok: false; issue: WorseResponseIssue } {
  const normalized = text.replace(/\r\n?/g, '\n');
  const questions = [...normalized.matchAll(QUESTION)];
  if (questions.length === 0) return { ok: false, issue: 'missing-question-marker' };
  let issue: WorseResponseIssue = 'missing-answer-start';
  for (let q = questions.length - 1; q >= 0; q--) {
    const qm = questions[q]!;
    const afterQ = qm.index + qm[0].length;
    START.lastIndex = afterQ;
    const sm = START.exec(normalized);
    if (!sm) {
      issue = 'missing-answer-start';
      continue;
    }
    END.lastIndex = sm.index + sm[0].length;
    const em = END.exec(normalized);
    if (!em) {
      issue = 'missing-answer-end';
      continue;
    }
    const modifiedPrompt = clean(normalized.slice(afterQ, sm.index));
    const response = clean(normalized.slice(sm.index + sm[0].length, em.index));
    if (!modifiedPrompt) return { ok: false, issue: 'empty-modified-prompt' };
    if (!response) return { ok: false, issue: 'empty-response' };
    return { ok: true, value: { modifiedPrompt, response } };
  }
  return { ok: false, issue };
}

/** {@link parseWorseResponseDetailed} returning the value or null. */
export function parseWorseResponse(text: string): WorseResponse | null {
  const r = parseWorseResponseDetailed(text);
  return r.ok ? r.value : null;
}

/**
 * The category in a tagger's reply: the last `Category: <name>` whose name is
 * one of `categories` (case and surrounding quotes/emphasis ignored), else a
 * reply that is just a category name; null otherwise.
 *
 * @example
 * ```ts
 * parseCategory('It asks for a proof.\nCategory: **Reasoning**', ['reasoning', 'coding']); // 'reasoning'
 * ```
 */
export function parseCategory(text: string, categories: readonly string[]): string | null {
  const byKey = new Map(categories.map((c) => [c.toLowerCase(), c]));
  const norm = (s: string) =>
    s
      .trim()
      .replace(/^[\s*_"'`[(]+|[\s*_"'`\].)]+$/g, '')
      .toLowerCase();
  let found: string | null = null;
  for (const m of text.matchAll(/category\s*:\s*([^\n]*)/gi)) {
    const hit = byKey.get(norm(m[1]!));
    if (hit !== undefined) found = hit;
  }
  if (found !== null) return found;
  return byKey.get(norm(text)) ?? null;
}
