/**
 * SVAMP (github.com/arkilpatel/SVAMP, MIT): one JSON array of
 * `{ID, Body, Question, Equation, Answer, Type}`.
 */
import { formatError, readText } from './read-text.js';

/** A SVAMP record with the body and question joined. */
export interface SvampRecord {
  id: string;
  body: string;
  questionOnly: string;
  /** `body` and `questionOnly` joined with a space: what a model is asked. */
  question: string;
  /** The gold equation as published, e.g. `( 76.0 - 25.0 )`. */
  equation: string;
  answer: number;
  type: string;
}

/** Parses SVAMP JSON text; errors name the file and the record index. */
export function parseSvampJson(text: string, file = 'SVAMP.json'): SvampRecord[] {
  let arr: unknown;
  try {
    arr = JSON.parse(text);
  } catch (e) {
    throw formatError(file, null, `invalid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(arr)) throw formatError(file, null, 'expected a JSON array of records');
  return arr.map((r: Record<string, unknown>, i) => {
    const ok =
      r &&
      typeof r === 'object' &&
      typeof r.Body === 'string' &&
      typeof r.Question === 'string' &&
      typeof r.Equation === 'string' &&
      typeof r.Answer === 'number';
    if (!ok) {
      throw formatError(
        file,
        null,
        `record ${i}: expected string Body, Question, Equation and numeric Answer`,
        {
          record: i,
        },
      );
    }
    const body = (r.Body as string).trim();
    const q = (r.Question as string).trim();
    const joined = /[.?!]$/.test(body) ? `${body} ${q}` : `${body}. ${q}`;
    return {
      id: typeof r.ID === 'string' ? r.ID : String(i),
      body,
      questionOnly: q,
      question: joined,
      equation: r.Equation as string,
      answer: r.Answer as number,
      type: typeof r.Type === 'string' ? r.Type : '',
    };
  });
}

/**
 * Loads SVAMP (e.g. `../shared/data/svamp/SVAMP.json`).
 *
 * @example
 * const svamp = await loadSvamp('../shared/data/svamp/SVAMP.json');
 * svamp.length; // 1000
 */
export async function loadSvamp(path: string): Promise<SvampRecord[]> {
  return parseSvampJson(await readText(path), path);
}
