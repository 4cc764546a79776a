/**
 * Streaming JSONL: shards of any size are read line by line (constant memory)
 * and validated with a zod schema, with file and line in every error; writes
 * go to a temporary file renamed into place at the end (atomic).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { LabError } from '@lab/core';
import type { z } from 'zod';

/**
 * Yields the records of one or more JSONL files in order, parsing each line
 * with `schema`. Blank lines are skipped. Throws `JSONL_PARSE` or
 * `JSONL_SCHEMA` naming the file and line.
 *
 * @example
 * for await (const doc of readJsonlShards(['a.jsonl', 'b.jsonl'], DocSchema)) console.log(doc.text);
 */
export async function* readJsonlShards<S extends z.ZodType>(
  paths: string | readonly string[],
  schema: S,
): AsyncGenerator<z.infer<S>> {
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    const lines = createInterface({
      input: createReadStream(path, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new LabError('JSONL_PARSE', `${path}:${line}: invalid JSON (${(err as Error).message})`, {
          file: path,
          line,
        });
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new LabError(
          'JSONL_SCHEMA',
          `${path}:${line}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
          {
            file: path,
            line,
          },
        );
      }
      yield parsed.data as z.infer<S>;
    }
  }
}

/**
 * Writes records as JSONL, streaming with backpressure, to `path.tmp-<pid>`
 * then renames it to `path`; on error the temporary file is removed.
 * Returns the number of records written.
 */
export async function writeJsonlStream(
  path: string,
  records: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const out = createWriteStream(tmp, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  let count = 0;
  try {
    await opened;
    for await (const record of records as AsyncIterable<unknown>) {
      if (!out.write(`${JSON.stringify(record)}\n`)) {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error): void => reject(err);
          out.once('error', onError);
          out.once('drain', () => {
            out.off('error', onError);
            resolve();
          });
        });
      }
      count++;
    }
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    await rename(tmp, path);
    return count;
  } catch (err) {
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}
