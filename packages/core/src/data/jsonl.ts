/**
 * JSON Lines datasets read and written through zod schemas. Reading streams
 * line by line (files of any size; memory holds one line at a time), and
 * every error names the file and the 1-based line, plus the field path for a
 * schema failure. Writing goes to a temporary file renamed into place, so a
 * failure leaves no partial file.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { LabError } from '../errors.js';
import { withAtomicFile } from '../io/atomic.js';

export interface ReadJsonlOptions {
  /**
   * Called with the error of each bad line (JSONL_PARSE or JSONL_SCHEMA),
   * which is then skipped. Default: throw on the first bad line.
   */
  onInvalid?: (error: LabError) => void;
}

/** A record with where it came from. */
export interface JsonlRecord<T> {
  value: T;
  /** 1-based line number in the file. */
  line: number;
}

function pathOf(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
}

async function* lines(path: string): AsyncGenerator<[string, number]> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('ready', () => resolve());
      stream.once('error', reject);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ',
      `cannot open ${path}: ${(err as Error).message}`,
      { file: path },
      { cause: err },
    );
  }
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    let n = 0;
    for await (const text of rl) {
      n++;
      yield [n === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, n];
    }
  } finally {
    rl.close();
    // Wait for the descriptor to be released, so a caller that stops early leaves no open file.
    if (!stream.closed) {
      const closed = once(stream, 'close');
      stream.destroy();
      await closed;
    }
  }
}

/**
 * Streams the records of a JSONL file with their line numbers. Blank lines
 * are skipped.
 *
 * @example
 * for await (const { value, line } of readJsonlRecords('data/train.jsonl', RowSchema)) { ... }
 */
export async function* readJsonlRecords<S extends z.ZodType>(
  path: string,
  schema: S,
  options: ReadJsonlOptions = {},
): AsyncGenerator<JsonlRecord<z.output<S>>> {
  for await (const [text, line] of lines(path)) {
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      const error = new LabError('JSONL_PARSE', `${path}:${line}: invalid JSON (${(err as Error).message})`, {
        file: path,
        line,
      });
      if (options.onInvalid) {
        options.onInvalid(error);
        continue;
      }
      throw error;
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      const error = new LabError(
        'JSONL_SCHEMA',
        `${path}:${line}: field ${pathOf(first)}: ${first.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : ''}\n${z.prettifyError(parsed.error)}`,
        { file: path, line, field: pathOf(first), issues: parsed.error.issues },
      );
      if (options.onInvalid) {
        options.onInvalid(error);
        continue;
      }
      throw error;
    }
    yield { value: parsed.data, line };
  }
}

/**
 * Streams the records of a JSONL file, each parsed with `schema`.
 *
 * @example
 * const Row = z.strictObject({ prompt: z.string(), completion: z.string() });
 * for await (const row of readJsonl('data/train.jsonl', Row)) console.log(row.prompt);
 */
export async function* readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  options: ReadJsonlOptions = {},
): AsyncGenerator<z.output<S>> {
  for await (const { value } of readJsonlRecords(path, schema, options)) yield value;
}

/** Every record of a JSONL file in an array. */
export async function readJsonlAll<S extends z.ZodType>(
  path: string,
  schema: S,
  options: ReadJsonlOptions = {},
): Promise<z.output<S>[]> {
  const out: z.output<S>[] = [];
  for await (const value of readJsonl(path, schema, options)) out.push(value);
  return out;
}

/**
 * Writes records as JSONL, atomically: each record is parsed with `schema`
 * (when given; the parsed value, defaults filled, is what is written), and
 * the file appears only once every line is written. Returns the number of
 * records. Errors name the line the record would have had.
 *
 * @example
 * await writeJsonl('out/pairs.jsonl', pairs, PairSchema);
 */
export async function writeJsonl<T>(
  path: string,
  records: Iterable<T> | AsyncIterable<T>,
  schema?: z.ZodType<unknown, T>,
): Promise<number> {
  let count = 0;
  await withAtomicFile(path, async (tmp) => {
    const fh = await open(tmp, 'wx');
    try {
      let buffer = '';
      for await (const record of records as AsyncIterable<T>) {
        const line = count + 1;
        let value: unknown = record;
        if (schema) {
          const parsed = schema.safeParse(record);
          if (!parsed.success) {
            const first = parsed.error.issues[0]!;
            throw new LabError('JSONL_SCHEMA', `${path}:${line}: field ${pathOf(first)}: ${first.message}`, {
              file: path,
              line,
              field: pathOf(first),
              issues: parsed.error.issues,
            });
          }
          value = parsed.data;
        }
        let text: string | undefined;
        try {
          text = JSON.stringify(value);
        } catch (err) {
          throw new LabError(
            'JSONL_SERIALIZE',
            `${path}:${line}: record is not JSON-serialisable (${(err as Error).message})`,
            {
              file: path,
              line,
            },
          );
        }
        if (text === undefined) {
          throw new LabError('JSONL_SERIALIZE', `${path}:${line}: record ${String(value)} has no JSON form`, {
            file: path,
            line,
          });
        }
        buffer += `${text}\n`;
        count++;
        // Flush in chunks so that memory stays bounded on large outputs.
        if (buffer.length > 1 << 20) {
          await fh.write(buffer);
          buffer = '';
        }
      }
      if (buffer.length > 0) await fh.write(buffer);
    } finally {
      await fh.close();
    }
  });
  return count;
}
