/**
 * JSONL files: read with line-numbered errors, write atomically, append one
 * record at a time (pipelines). A torn last line (a crash mid-append) is
 * skipped on read when `tolerateTornTail` is set; any other bad line is an error.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LabError, writeFileAtomic } from '@lab/core';
import { z } from 'zod';

export interface ReadJsonlOptions {
  /** Skip an unparsable final line without a newline (an interrupted append). */
  tolerateTornTail?: boolean;
}

/** Reads `path` as JSONL, validating each line with `schema`. Blank lines are skipped. */
export async function readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  options: ReadJsonlOptions = {},
): Promise<z.infer<S>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new LabError(
      'LM_FILE_READ',
      `cannot read ${path}: ${(err as Error).message}`,
      { file: path },
      { cause: err },
    );
  }
  const lines = text.split('\n');
  const out: z.infer<S>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const isTail = i === lines.length - 1 && !text.endsWith('\n');
      if (isTail && options.tolerateTornTail) break;
      throw new LabError('LM_BAD_RECORD', `${path}:${i + 1}: not valid JSON (${(err as Error).message})`, {
        file: path,
        line: i + 1,
      });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new LabError('LM_BAD_RECORD', `${path}:${i + 1}: ${z.prettifyError(parsed.error)}`, {
        file: path,
        line: i + 1,
        issues: parsed.error.issues,
      });
    }
    out.push(parsed.data);
  }
  return out;
}

/** Writes records as JSONL atomically (core writeFileAtomic: temp file, fsync, rename), creating the folder. */
export async function writeJsonl(path: string, records: readonly unknown[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Appends one record as a line, in a single write call. */
export async function appendJsonl(path: string, record: unknown): Promise<void> {
  await appendFile(path, `${JSON.stringify(record)}\n`);
}
