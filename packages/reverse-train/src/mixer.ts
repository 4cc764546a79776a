/**
 * Stream mixers for the two budgets of spec §2. Forward and reversed samples
 * are interleaved at random through a bounded shuffle buffer, so a stream of
 * any length runs in constant memory.
 *
 * - `data`: every pass serves each doc forward and reversed (twice the tokens
 *   of the standard arm).
 * - `compute`: the standard arm's tokens. Multi-epoch training keeps every doc
 *   and halves the passes (E/2 passes over D ∪ R(D)); an odd E, including
 *   single-pass pretraining (E = 1), adds one pass over half the docs (those
 *   at even positions) with their reversals.
 * - reversal `none` is the standard arm: E passes, forward only, either budget.
 */

import type { Tokenizer } from '@lab/core';
import { LabError, Rng, writeJsonl } from '@lab/core';
import { z } from 'zod';
import type { EntityTagger } from './entity-tagger.js';
import { ReversalSchema } from './reversal.js';
import { type Doc, reverseDoc } from './reverse-doc.js';

export const MixConfigSchema = z.strictObject({
  /** The arm: `{ mode: 'none' }` for standard, or a reversal. */
  reversal: ReversalSchema,
  budget: z.enum(['data', 'compute']).default('data'),
  /** Passes the standard arm makes over the docs. */
  epochs: z.number().int().min(1).default(1),
  seed: z.union([z.number().int(), z.string()]).default(0),
  /** Samples held for random interleaving (memory bound). Larger mixes more evenly. */
  shuffleBuffer: z.number().int().min(1).default(4096),
  /**
   * Extension, keep 0.5 for paper runs: each doc is served reversed with
   * probability min(1, 2f) and forward with probability min(1, 2(1 - f)).
   */
  reverseFraction: z.number().min(0).max(1).default(0.5),
  /** Extension, off for paper runs: a first word marking the direction. */
  directionTag: z.strictObject({ forward: z.string().min(1), reverse: z.string().min(1) }).optional(),
  /** Encode each word with a leading space (BPE convention). Default true. */
  leadingSpace: z.boolean().default(true),
});
export type MixConfig = z.infer<typeof MixConfigSchema>;
export type MixConfigInput = z.input<typeof MixConfigSchema>;

/** One training sample of a mixed stream. */
export interface MixedSample {
  docId: string | number;
  /** The pass this sample belongs to (0-based); per-epoch segment cuts use it. */
  epoch: number;
  direction: 'forward' | 'reverse';
  text: string;
  /** Present when a tokenizer was given. */
  ids?: number[];
  /** Tokens (ids) with a tokenizer, else words. */
  tokens: number;
}

/** Docs, re-readable for several passes: an array, or a function returning a fresh iterable each call. */
export type DocSource = readonly Doc[] | (() => Iterable<Doc> | AsyncIterable<Doc>);

export interface MixOptions {
  tokenizer?: Pick<Tokenizer, 'encode'>;
  /** Tags entities of docs without spans (entity mode). */
  tagger?: EntityTagger;
}

/** One pass of the stream: which docs (all or every other) and in which directions. */
interface Pass {
  epoch: number;
  halfDocs: boolean;
  forward: boolean;
  reverse: boolean;
}

/** The passes an arm makes under a budget (see the file comment). */
export function planPasses(
  config: MixConfigInput,
): Array<{ epoch: number; halfDocs: boolean; reversed: boolean }> {
  const c = MixConfigSchema.parse(config);
  return passesOf(c).map((p) => ({ epoch: p.epoch, halfDocs: p.halfDocs, reversed: p.reverse }));
}

function passesOf(c: MixConfig): Pass[] {
  const passes: Pass[] = [];
  if (c.reversal.mode === 'none') {
    for (let e = 0; e < c.epochs; e++)
      passes.push({ epoch: e, halfDocs: false, forward: true, reverse: false });
    return passes;
  }
  const full = c.budget === 'data' ? c.epochs : Math.floor(c.epochs / 2);
  for (let e = 0; e < full; e++) passes.push({ epoch: e, halfDocs: false, forward: true, reverse: true });
  if (c.budget === 'compute' && c.epochs % 2 === 1) {
    passes.push({ epoch: full, halfDocs: true, forward: true, reverse: true });
  }
  return passes;
}

function docsOf(source: DocSource): Iterable<Doc> | AsyncIterable<Doc> {
  return typeof source === 'function' ? source() : source;
}

/**
 * Streams the mixed training samples of one arm.
 *
 * @example
 * for await (const s of mixStream(docs, { reversal: { mode: 'entity' }, budget: 'data', epochs: 2 })) {
 *   console.log(s.direction, s.text);
 * }
 */
export async function* mixStream(
  source: DocSource,
  config: MixConfigInput,
  options: MixOptions = {},
): AsyncGenerator<MixedSample> {
  const c = MixConfigSchema.parse(config);
  const root = new Rng(c.seed);
  const pReverse = Math.min(1, 2 * c.reverseFraction);
  const pForward = Math.min(1, 2 * (1 - c.reverseFraction));
  for (const pass of passesOf(c)) {
    const rng = root.fork(`mix-pass-${pass.epoch}-${pass.halfDocs ? 'half' : 'full'}`);
    const buffer: MixedSample[] = [];
    const drawOne = (): MixedSample => {
      const i = rng.nextInt(buffer.length);
      const picked = buffer[i]!;
      buffer[i] = buffer[buffer.length - 1]!;
      buffer.pop();
      return picked;
    };
    let index = 0;
    for await (const doc of docsOf(source) as AsyncIterable<Doc>) {
      const position = index++;
      if (pass.halfDocs && position % 2 === 1) continue;
      const docId = doc.id ?? position;
      const directions: Array<'forward' | 'reverse'> = [];
      if (pass.forward && (pForward >= 1 || rng.bernoulli(pForward))) directions.push('forward');
      if (pass.reverse && (pReverse >= 1 || rng.bernoulli(pReverse))) directions.push('reverse');
      for (const direction of directions) {
        const view = reverseDoc(doc, direction === 'forward' ? { mode: 'none' } : c.reversal, {
          tokenizer: options.tokenizer,
          tagger: options.tagger,
          leadingSpace: c.leadingSpace,
          seed: c.seed,
          epoch: pass.epoch,
          fallbackId: docId,
        });
        const sample: MixedSample = { docId, epoch: pass.epoch, direction, ...view };
        if (c.directionTag) tagSample(sample, c.directionTag[direction], options.tokenizer, c.leadingSpace);
        buffer.push(sample);
        if (buffer.length >= c.shuffleBuffer) yield drawOne();
      }
    }
    if (index === 0) {
      throw new LabError(
        'MIX_EMPTY_SOURCE',
        `pass ${pass.epoch} read no documents (a one-shot iterator used for several passes?)`,
        {
          epoch: pass.epoch,
        },
      );
    }
    while (buffer.length > 0) yield drawOne();
  }
}

function tagSample(
  sample: MixedSample,
  tag: string,
  tokenizer: Pick<Tokenizer, 'encode'> | undefined,
  leadingSpace: boolean,
): void {
  sample.text = `${tag} ${sample.text}`;
  sample.tokens += 1;
  if (tokenizer && sample.ids) {
    const tagIds = tokenizer.encode(leadingSpace ? ` ${tag}` : tag);
    sample.ids = [...tagIds, ...sample.ids];
    sample.tokens = sample.ids.length;
  }
}

/** Counts of a mixed stream: samples and tokens per direction. */
export interface MixCounts {
  samples: { forward: number; reverse: number; total: number };
  tokens: { forward: number; reverse: number; total: number };
}

/** Adds up a stream's samples and tokens (runs the stream). */
export async function countMix(
  samples: AsyncIterable<MixedSample> | Iterable<MixedSample>,
): Promise<MixCounts> {
  const counts: MixCounts = {
    samples: { forward: 0, reverse: 0, total: 0 },
    tokens: { forward: 0, reverse: 0, total: 0 },
  };
  for await (const s of samples as AsyncIterable<MixedSample>) {
    counts.samples[s.direction]++;
    counts.samples.total++;
    counts.tokens[s.direction] += s.tokens;
    counts.tokens.total += s.tokens;
  }
  return counts;
}

/**
 * Writes a mixed stream as JSONL (atomically), one sample per line, and
 * returns its counts.
 *
 * @example
 * await writeMixedJsonl('mixed.jsonl', mixStream(() => readJsonlShards(shards, DocSchema), config));
 */
export async function writeMixedJsonl(
  path: string,
  samples: AsyncIterable<MixedSample> | Iterable<MixedSample>,
): Promise<MixCounts> {
  const counts: MixCounts = {
    samples: { forward: 0, reverse: 0, total: 0 },
    tokens: { forward: 0, reverse: 0, total: 0 },
  };
  async function* counted(): AsyncGenerator<MixedSample> {
    for await (const s of samples as AsyncIterable<MixedSample>) {
      counts.samples[s.direction]++;
      counts.samples.total++;
      counts.tokens[s.direction] += s.tokens;
      counts.tokens.total += s.tokens;
      yield s;
    }
  }
  // core's writeJsonl flushes every MiB, so an unbounded stream runs in bounded memory.
  await writeJsonl(path, counted());
  return counts;
}
