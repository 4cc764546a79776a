/**
 * A small stage runner for long generation/judging jobs. A stage maps input
 * records to outputs with bounded concurrency and appends each finished record
 * as `{id, output}` to `<runDir>/<name>.jsonl` the moment it finishes, so an
 * interrupted run loses at most the records in flight. A rerun skips ids
 * already in the file. Failures go to `<name>.failed.jsonl` with their error
 * and do not stop the stage unless `failFast` is set; they are retried on rerun.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError, writeJsonl } from '@lab/core';

/** Appends one record as a line, in a single write call. */
function appendJsonl(path: string, record: unknown): Promise<void> {
  return appendFile(path, `${JSON.stringify(record)}\n`);
}

export interface StageProgress {
  stage: string;
  total: number;
  done: number;
  skipped: number;
  failed: number;
}

export interface StageOptions<I, O> {
  /** Folder of this run; created if missing. */
  runDir: string;
  /** Stage name; the file is `<runDir>/<name>.jsonl`. */
  name: string;
  inputs: readonly I[];
  /** A stable, unique id per input (the resume key). */
  id: (input: I) => string;
  run: (input: I, context: { id: string; signal: AbortSignal }) => Promise<O>;
  /** Records in flight at once. Default 4. */
  concurrency?: number;
  /** Stop at the first failure (after in-flight records settle) and throw. Default false. */
  failFast?: boolean;
  /** true (default): a status line on stderr; false: silent; a function: your own display. */
  progress?: boolean | ((p: StageProgress) => void);
  /** Aborts the stage: no new records start, `run` sees the signal. */
  signal?: AbortSignal;
}

export interface StageRecord<O> {
  id: string;
  output: O;
}

export interface StageFailure {
  id: string;
  error: { message: string; code?: string };
}

export interface StageResult<O> {
  /** Every finished record (earlier runs included), in input order. */
  records: StageRecord<O>[];
  /** Finished in this run. */
  done: number;
  /** Found finished from an earlier run. */
  skipped: number;
  failed: number;
  failures: StageFailure[];
  file: string;
}

/** Reads a stage's finished records, dropping a torn last line (and repairing the file). */
export async function readStage<O>(runDir: string, name: string): Promise<StageRecord<O>[]> {
  const file = join(runDir, `${name}.jsonl`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n').filter((l) => l.trim());
  const records: StageRecord<O>[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      records.push(JSON.parse(lines[i]!) as StageRecord<O>);
    } catch (err) {
      const tail = i === lines.length - 1 && !text.endsWith('\n');
      if (!tail) {
        throw new LabError('LM_BAD_RECORD', `${file}:${i + 1}: not valid JSON (${(err as Error).message})`, {
          file,
          line: i + 1,
        });
      }
      // A crash mid-append left half a line: rewrite the file without it, so later appends stay clean.
      await writeJsonl(file, records);
    }
  }
  return records;
}

function describeError(err: unknown): StageFailure['error'] {
  if (err instanceof LabError) return { message: err.message, code: err.code };
  if (err instanceof Error) return { message: err.message };
  return { message: String(err) };
}

/**
 * Runs one stage, resuming from the run folder.
 *
 * @example
 * ```ts
 * const r = await runStage({
 *   runDir: '.lab-runs/exp1', name: 'responses', inputs: prompts, id: (p) => p.id,
 *   run: async (p) => (await generateOne(model, { prompt: p.text })).samples[0]!.text,
 * });
 * console.log(r.done, r.skipped, r.failed);
 * ```
 */
export async function runStage<I, O>(options: StageOptions<I, O>): Promise<StageResult<O>> {
  const { runDir, name, inputs, failFast = false } = options;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new LabError(
      'LM_INVALID_CONFIG',
      `runStage "${name}": concurrency must be a positive integer, got ${concurrency}`,
      {},
    );
  }
  await mkdir(runDir, { recursive: true });
  const file = join(runDir, `${name}.jsonl`);
  const failedFile = join(runDir, `${name}.failed.jsonl`);

  const ids = inputs.map((x) => options.id(x));
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (seen.has(id)) {
      throw new LabError(
        'LM_DUPLICATE_ID',
        `runStage "${name}": input #${i} repeats id ${JSON.stringify(id)}`,
        { index: i, id },
      );
    }
    seen.add(id);
  }

  const finished = new Map<string, StageRecord<O>>();
  for (const r of await readStage<O>(runDir, name)) finished.set(r.id, r);
  const todo = inputs.map((x, i) => ({ input: x, id: ids[i]! })).filter((t) => !finished.has(t.id));
  const status: StageProgress = {
    stage: name,
    total: inputs.length,
    done: 0,
    skipped: inputs.length - todo.length,
    failed: 0,
  };
  const failures: StageFailure[] = [];

  const report = makeReporter(options.progress ?? true);
  report(status, false);

  // Appends go through one chain so lines never interleave.
  let writes: Promise<void> = Promise.resolve();
  const append = (path: string, record: unknown) => {
    writes = writes.then(() => appendJsonl(path, record));
    return writes;
  };

  const local = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
  let next = 0;
  let firstError: unknown = null;
  const worker = async () => {
    while (next < todo.length && !signal.aborted) {
      const { input, id } = todo[next++]!;
      try {
        const output = await options.run(input, { id, signal });
        const record = { id, output };
        await append(file, record);
        finished.set(id, record);
        status.done++;
      } catch (err) {
        if (options.signal?.aborted) break;
        const failure = { id, error: describeError(err) };
        failures.push(failure);
        status.failed++;
        await append(failedFile, { ...failure, at: new Date().toISOString() });
        if (options.progress !== false && typeof options.progress !== 'function') {
          process.stderr.write(`\n[${name}] record ${id} failed: ${failure.error.message.split('\n')[0]}\n`);
        }
        if (failFast && firstError === null) {
          firstError = err;
          local.abort(err);
        }
      }
      report(status, false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  await writes;
  report(status, true);
  if (firstError !== null) {
    throw new LabError(
      'LM_STAGE_FAILED',
      `stage "${name}" stopped at its first failure: ${describeError(firstError).message}`,
      { stage: name, file: failedFile },
      { cause: firstError },
    );
  }
  options.signal?.throwIfAborted();
  return {
    records: ids.filter((id) => finished.has(id)).map((id) => finished.get(id)!),
    done: status.done,
    skipped: status.skipped,
    failed: status.failed,
    failures,
    file,
  };
}

function makeReporter(
  progress: boolean | ((p: StageProgress) => void),
): (p: StageProgress, final: boolean) => void {
  if (typeof progress === 'function') return (p) => progress({ ...p });
  if (!progress) return () => {};
  let last = 0;
  const tty = process.stderr.isTTY;
  return (p, final) => {
    const now = Date.now();
    // A TTY redraws one line often; a log file gets a line every few seconds.
    if (!final && now - last < (tty ? 100 : 5_000)) return;
    last = now;
    const line = `[${p.stage}] ${p.done + p.skipped}/${p.total} done (${p.skipped} skipped, ${p.failed} failed)`;
    process.stderr.write(tty ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };
}
