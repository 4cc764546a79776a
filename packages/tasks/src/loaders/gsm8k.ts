/**
 * GSM8K (github.com/openai/grade-school-math, MIT) in its published format:
 * JSONL lines `{question, answer}`, the answer a worked solution with
 * calculator annotations `<<48/2=24>>` and a final line `#### 72`.
 */
import { basename } from 'node:path';
import { formatError, readText } from './read-text.js';

/** One calculator annotation `<<expr=result>>` and where it sits in the answer. */
export interface Gsm8kAnnotation {
  expr: string;
  result: string;
  /** Offsets of `<<` and one past `>>` in the answer text. */
  start: number;
  end: number;
}

/** A GSM8K record with its answer taken apart. */
export interface Gsm8kRecord {
  /** `<file basename>:<line>` (GSM8K has no ids). */
  id: string;
  question: string;
  /** The raw answer field. */
  answer: string;
  /** The solution text before `####`. */
  solution: string;
  /** The final answer as written after `####` (commas kept). */
  final: string;
  /** The final answer as a number (commas stripped), or null. */
  finalValue: number | null;
  annotations: Gsm8kAnnotation[];
}

const ANNOTATION_RE = /<<([^<>]*)>>/g;

/**
 * Splits a GSM8K answer into solution, final answer and annotations. Returns
 * null when there is no `####` line.
 *
 * @example
 * parseGsm8kAnswer('48/2 = <<48/2=24>>24\n#### 24')?.annotations[0].result; // '24'
 */
export function parseGsm8kAnswer(answer: string): Omit<Gsm8kRecord, 'id' | 'question' | 'answer'> | null {
  const m = /\n?####\s*(.*)\s*$/.exec(answer);
  if (!m) return null;
  const solution = answer.slice(0, m.index);
  const final = m[1].trim();
  const numeric = final.replace(/,/g, '').replace(/^\$/, '');
  const finalValue = /^-?\d+(\.\d+)?$/.test(numeric) ? Number(numeric) : null;
  const annotations: Gsm8kAnnotation[] = [];
  for (const a of solution.matchAll(ANNOTATION_RE)) {
    const body = a[1];
    const eq = body.lastIndexOf('=');
    if (eq < 0) continue;
    annotations.push({
      expr: body.slice(0, eq).trim(),
      result: body.slice(eq + 1).trim(),
      start: a.index,
      end: a.index + a[0].length,
    });
  }
  return { solution, final, finalValue, annotations };
}

/**
 * Parses GSM8K JSONL text. Errors name the file and line (`DATA_FORMAT`).
 * `file` is only used in ids and messages.
 */
export function parseGsm8kJsonl(text: string, file = 'gsm8k.jsonl'): Gsm8kRecord[] {
  const out: Gsm8kRecord[] = [];
  const lines = text.split('\n');
  const base = basename(file);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw formatError(file, i + 1, `invalid JSON (${(e as Error).message})`);
    }
    const rec = obj as { question?: unknown; answer?: unknown };
    if (
      typeof rec !== 'object' ||
      rec === null ||
      typeof rec.question !== 'string' ||
      typeof rec.answer !== 'string'
    ) {
      throw formatError(file, i + 1, 'expected an object with string fields "question" and "answer"');
    }
    const parsed = parseGsm8kAnswer(rec.answer);
    if (!parsed) throw formatError(file, i + 1, 'answer has no "#### <final answer>" line');
    out.push({ id: `${base}:${i + 1}`, question: rec.question, answer: rec.answer, ...parsed });
  }
  return out;
}

/**
 * Loads a GSM8K JSONL file (e.g. `../shared/data/gsm8k/test.jsonl`).
 *
 * @example
 * const test = await loadGsm8k('../shared/data/gsm8k/test.jsonl');
 * test.length; // 1319
 */
export async function loadGsm8k(path: string): Promise<Gsm8kRecord[]> {
  return parseGsm8kJsonl(await readText(path), path);
}
