/**
 * A disk cache in front of any LanguageModel: each sample is stored under a
 * stable hash of (model id, canonical request, sample index), so a rerun
 * replays and an interrupted run resumes with only the missing samples.
 *
 * One small JSON file per sample, written to a unique temp file and renamed
 * into place: a reader never sees half a file, and two processes writing the
 * same key both leave a complete entry (the last rename wins).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ContinuationLogProbs,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateRequestInput,
  type GenerateResult,
  type LanguageModel,
  parseRequests,
  type Sample,
  SampleSchema,
} from './types.js';

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The cache key of one sample. `id` and `n` are left out: the same question
 * asked with n=4 and later n=8 shares its first four samples.
 */
export function sampleKey(modelId: string, request: GenerateRequest, index: number): string {
  const { id: _id, n: _n, ...rest } = request;
  return createHash('sha256')
    .update(`${modelId}\n${canonicalJson(rest)}\n${index}`)
    .digest('hex');
}

interface Entry {
  key: string;
  model: string;
  sampleIndex: number;
  promptTokens: number;
  sample: Sample;
}

export interface CacheStats {
  hits: number;
  misses: number;
}

/**
 * Writes `text` to `path` atomically (unique temp file + rename), without
 * core's fsync: a cache entry lost to a power cut is only a miss, and a
 * damaged one is detected on read, so per-sample fsyncs would buy nothing.
 */
async function writeEntryFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/**
 * @example
 * ```ts
 * const model = new CachedModel(new OpenAICompatibleModel({ baseURL, model: 'm' }), '.lab-runs/cache');
 * await model.generate([{ prompt: 'Q', n: 8, seed: 1 }]); // second run reads from disk
 * ```
 */
export class CachedModel implements LanguageModel {
  readonly id: string;
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  readonly logProbs?: (
    prompt: string,
    continuation: string,
    options?: GenerateOptions,
  ) => Promise<ContinuationLogProbs>;

  constructor(
    readonly inner: LanguageModel,
    readonly dir: string,
  ) {
    this.id = inner.id;
    if (inner.logProbs) this.logProbs = inner.logProbs.bind(inner);
  }

  private path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  private async read(key: string): Promise<Entry | null> {
    let text: string;
    try {
      text = await readFile(this.path(key), 'utf8');
    } catch {
      return null;
    }
    try {
      const entry = JSON.parse(text) as Entry;
      // A foreign or damaged file is treated as a miss and overwritten.
      if (entry.key !== key || !SampleSchema.safeParse(entry.sample).success) return null;
      return entry;
    } catch {
      return null;
    }
  }

  private async write(entry: Entry): Promise<void> {
    const path = this.path(entry.key);
    await mkdir(join(this.dir, entry.key.slice(0, 2)), { recursive: true });
    await writeEntryFile(path, JSON.stringify(entry));
  }

  async generate(
    requests: readonly GenerateRequestInput[],
    options?: GenerateOptions,
  ): Promise<GenerateResult[]> {
    const parsed = parseRequests(requests);
    const keys = parsed.map((r) => Array.from({ length: r.n }, (_, i) => sampleKey(this.id, r, i)));
    const found = await Promise.all(keys.map((ks) => Promise.all(ks.map((k) => this.read(k)))));

    // Ask the inner model only for missing samples: one request per original
    // request, for as many samples as are missing. With a seed, the request
    // keeps seed + first missing index, so a resumed run stays reproducible.
    const todo: { at: number; missing: number[]; request: GenerateRequest }[] = [];
    parsed.forEach((r, at) => {
      const missing = found[at]!.flatMap((e, i) => (e ? [] : [i]));
      for (const e of found[at]!) if (e) this.stats.hits++;
      if (missing.length === 0) return;
      this.stats.misses += missing.length;
      const seed = r.seed !== undefined ? r.seed + missing[0]! : undefined;
      todo.push({
        at,
        missing,
        request: { ...r, n: missing.length, ...(seed !== undefined ? { seed } : {}) },
      });
    });
    const fresh = todo.length
      ? await this.inner.generate(
          todo.map((t) => t.request),
          options,
        )
      : [];

    const promptTokens = parsed.map((_, at) => found[at]!.find((e) => e)?.promptTokens ?? 0);
    const samples: (Sample | null)[][] = found.map((es) => es.map((e) => e?.sample ?? null));
    const writes: Promise<void>[] = [];
    todo.forEach((t, j) => {
      const result = fresh[j]!;
      promptTokens[t.at] = result.promptTokens;
      t.missing.forEach((index, k) => {
        const sample = result.samples[k]!;
        samples[t.at]![index] = sample;
        const key = keys[t.at]![index]!;
        writes.push(
          this.write({ key, model: this.id, sampleIndex: index, promptTokens: result.promptTokens, sample }),
        );
      });
    });
    await Promise.all(writes);
    return parsed.map((r, at) => ({
      ...(r.id !== undefined ? { id: r.id } : {}),
      model: this.id,
      samples: samples[at]! as Sample[],
      promptTokens: promptTokens[at]!,
    }));
  }
}
