/** File reading shared by the loaders: errors name the file. */
import { readFile } from 'node:fs/promises';
import { LabError } from '@lab/core';

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new LabError(
      'DATA_READ',
      `cannot read ${path}: ${(e as Error).message}`,
      { file: path },
      { cause: e },
    );
  }
}

export function formatError(
  file: string,
  line: number | null,
  msg: string,
  extra: Record<string, unknown> = {},
): LabError {
  const where = line === null ? file : `${file}:${line}`;
  return new LabError('DATA_FORMAT', `${where}: ${msg}`, { file, line, ...extra });
}
