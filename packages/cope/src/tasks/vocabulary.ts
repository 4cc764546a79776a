/**
 * Word-level vocabularies of the synthetic tasks and the encoding of samples
 * into next-token training rows (right-padded, loss on the scored tokens only).
 * Plain arrays: no tensors, so the generators run without a backend.
 */
import { LabError } from '@lab/core';

/** One task sample: whitespace tokens, and which of them are targets. */
export interface TaskSample {
  tokens: string[];
  /** true where the token is predicted and scored (the answer, the bits after `r`, the copied tokens). */
  scored: boolean[];
}

/** Rows ready for @lab/core's LMBatch (wrap each array in a tensor of shape [batchSize, length]). */
export interface EncodedBatch {
  batchSize: number;
  length: number;
  /** Token ids, padded with the pad id: [batchSize·length]. */
  tokens: Int32Array;
  /** 1 on scored tokens: [batchSize·length]. */
  lossMask: Float32Array;
  /** 1 on real tokens, 0 on padding: [batchSize·length]. */
  attentionMask: Float32Array;
}

/**
 * A fixed token list; id 0 is the padding token `<pad>`.
 *
 * @example
 * const vocab = new TaskVocabulary(['a', 'b']);
 * vocab.encode(['b', 'a']); // [2, 1]
 */
export class TaskVocabulary {
  static readonly PAD = '<pad>';
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.tokens = [TaskVocabulary.PAD, ...tokens];
    this.ids = new Map(this.tokens.map((t, i) => [t, i]));
    if (this.ids.size !== this.tokens.length) {
      throw new LabError('TASK_VOCAB_DUPLICATE', 'vocabulary tokens must be distinct', { tokens });
    }
  }

  get size(): number {
    return this.tokens.length;
  }

  get padId(): number {
    return 0;
  }

  id(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined)
      throw new LabError('TASK_VOCAB_UNKNOWN', `token "${token}" is not in the vocabulary`, { token });
    return id;
  }

  encode(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.id(t));
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => this.tokens[i] ?? `<${i}?>`);
  }
}

/**
 * Encodes samples as right-padded rows of `length` tokens.
 *
 * @param length row length; default: the longest sample. Longer samples are an error (never truncated: a truncated counting sample can lose its answer's SET).
 * @example
 * const batch = encodeBatch(generateCounting({ numVars: 3 }, 32, 1), countingVocabulary(3));
 * const tokens = tf.tensor2d(batch.tokens, [batch.batchSize, batch.length], 'int32');
 */
export function encodeBatch(
  samples: readonly TaskSample[],
  vocab: TaskVocabulary,
  length?: number,
): EncodedBatch {
  const len = length ?? Math.max(...samples.map((s) => s.tokens.length));
  const n = samples.length;
  const tokens = new Int32Array(n * len).fill(vocab.padId);
  const lossMask = new Float32Array(n * len);
  const attentionMask = new Float32Array(n * len);
  samples.forEach((s, r) => {
    if (s.tokens.length > len) {
      throw new LabError(
        'TASK_SAMPLE_TOO_LONG',
        `sample ${r} has ${s.tokens.length} tokens; rows hold ${len}`,
        {
          row: r,
          tokens: s.tokens.length,
          length: len,
        },
      );
    }
    s.tokens.forEach((t, i) => {
      tokens[r * len + i] = vocab.id(t);
      attentionMask[r * len + i] = 1;
      if (s.scored[i]) lossMask[r * len + i] = 1;
    });
  });
  return { batchSize: n, length: len, tokens, lossMask, attentionMask };
}
