/**
 * Reading a dataset split into JSONL shards. Parsing, validation and error
 * reporting are @lab/core's `readJsonl` (streamed line by line, zod schema,
 * `file:line` and field in every error); this only chains the shards.
 */
import { type ReadJsonlOptions, readJsonl } from '@lab/core';
import type { z } from 'zod';

/**
 * Yields the records of one or more JSONL files in order, each parsed with
 * `schema` by core's `readJsonl` (blank lines skipped; `JSONL_PARSE` or
 * `JSONL_SCHEMA` naming the file and line). Memory holds one line at a time,
 * so shards of any size work. To write JSONL, use core's `writeJsonl`.
 *
 * @example
 * for await (const doc of readJsonlShards(['a.jsonl', 'b.jsonl'], DocSchema)) console.log(doc.text);
 */
export async function* readJsonlShards<S extends z.ZodType>(
  paths: string | readonly string[],
  schema: S,
  options: ReadJsonlOptions = {},
): AsyncGenerator<z.output<S>> {
  for (const path of typeof paths === 'string' ? [paths] : paths) yield* readJsonl(path, schema, options);
}
