/**
 * LocalModel: a LanguageModel over a core CausalLM (TransformerLM) and a
 * Tokenizer, for tests, demos and small experiments. Chat messages are rendered
 * with a replaceable ChatTemplate. Requests that share sampling settings are
 * decoded together as one KV-cached batch (every sample of every request is a
 * row); a seeded request is decoded on its own so its samples do not depend on
 * what else is in the batch. Stop strings end a row as soon as they appear.
 *
 * The backend must be initialised (core's initBackend) before generating.
 */
import {
  type CausalLM,
  generate as coreGenerate,
  LabError,
  type LogitsProcessor,
  sequenceLogProbs,
  type Tokenizer,
  tf,
} from '@lab/core';
import { type ChatTemplate, plainChatTemplate } from './chat-template.js';
import {
  type ContinuationLogProbs,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateRequestInput,
  type GenerateResult,
  type LanguageModel,
  parseRequests,
  type Sample,
  type TokenLogprob,
} from './types.js';

export interface LocalModelOptions {
  /** Identity in cache keys and /v1/models. Default `local`. */
  id?: string;
  /** Renders chat messages. Default plainChatTemplate. */
  template?: ChatTemplate;
  /** Prepend the tokenizer's bos id to every prompt. Default: when the tokenizer has one. */
  addBos?: boolean;
  /** Token ids that end a row. Default: the tokenizer's eos id, if any. */
  stopTokens?: number[];
  /** Most rows decoded in one batch. Default 64. */
  maxBatchRows?: number;
}

/** The tokenized form of one request. */
interface Prepared {
  ids: number[];
  stops: string[];
  maxNew: number;
}

function logSumExp(data: Float32Array, offset: number, n: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, data[offset + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(data[offset + i]! - max);
  return max + Math.log(sum);
}

/**
 * @example
 * ```ts
 * await initBackend({ prefer: 'wasm' });
 * const lm = new LocalModel(new TransformerLM(config), new ByteTokenizer());
 * const [r] = await lm.generate([{ messages: [{ role: 'user', content: '2+2?' }], n: 4, temperature: 0.8 }]);
 * ```
 */
export class LocalModel implements LanguageModel {
  readonly id: string;
  readonly template: ChatTemplate;
  readonly addBos: boolean;
  readonly stopTokens: number[];
  readonly maxBatchRows: number;

  constructor(
    readonly model: CausalLM,
    readonly tokenizer: Tokenizer,
    options: LocalModelOptions = {},
  ) {
    this.id = options.id ?? 'local';
    this.template = options.template ?? plainChatTemplate;
    this.addBos = options.addBos ?? tokenizer.bosId !== null;
    if (this.addBos && tokenizer.bosId === null) {
      throw new LabError(
        'LM_INVALID_CONFIG',
        'LocalModel: addBos is set but the tokenizer has no bos token',
        {},
      );
    }
    this.stopTokens = options.stopTokens ?? (tokenizer.eosId !== null ? [tokenizer.eosId] : []);
    this.maxBatchRows = options.maxBatchRows ?? 64;
    if (tokenizer.vocabSize > model.vocabSize) {
      throw new LabError(
        'LM_INVALID_CONFIG',
        `LocalModel: tokenizer vocabulary ${tokenizer.vocabSize} exceeds the model's ${model.vocabSize}`,
        { tokenizer: tokenizer.vocabSize, model: model.vocabSize },
      );
    }
  }

  /** The prompt text a request becomes (chat messages rendered by the template). */
  promptText(request: GenerateRequest): string {
    return request.messages !== undefined ? this.template.render(request.messages, true) : request.prompt!;
  }

  /** Token ids of a prompt: bos (when used) + the encoded text. */
  encodePrompt(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    return this.addBos ? [this.tokenizer.bosId!, ...ids] : ids;
  }

  private prepare(request: GenerateRequest, index: number): Prepared {
    const ids = this.encodePrompt(this.promptText(request));
    const what = `request #${index}${request.id ? ` (id ${request.id})` : ''}`;
    if (ids.length === 0) {
      throw new LabError(
        'LM_INVALID_REQUEST',
        `${what}: the prompt is empty and the tokenizer has no bos token`,
        {
          index,
        },
      );
    }
    if (ids.length >= this.model.maxSeqLen) {
      throw new LabError(
        'LM_PROMPT_TOO_LONG',
        `${what}: prompt of ${ids.length} tokens leaves no room in maxSeqLen ${this.model.maxSeqLen}`,
        { index, promptTokens: ids.length, maxSeqLen: this.model.maxSeqLen },
      );
    }
    const stops = [...request.stop, ...(request.messages !== undefined ? this.template.stop : [])];
    return { ids, stops, maxNew: request.maxTokens };
  }

  async generate(
    requests: readonly GenerateRequestInput[],
    options?: GenerateOptions,
  ): Promise<GenerateResult[]> {
    const parsed = parseRequests(requests);
    const prepared = parsed.map((r, i) => this.prepare(r, i));
    const samples: Sample[][] = parsed.map(() => []);

    // Group requests that can share one decode call. A seeded request is its own group.
    const groups = new Map<string, number[]>();
    parsed.forEach((r, i) => {
      const key = JSON.stringify([
        r.temperature,
        r.topP,
        r.topK ?? null,
        r.maxTokens,
        r.seed !== undefined ? `s${i}` : null,
      ]);
      const list = groups.get(key) ?? [];
      list.push(i);
      groups.set(key, list);
    });

    for (const members of groups.values()) {
      const rows = members.flatMap((i) =>
        Array.from({ length: parsed[i]!.n }, (_, k) => ({ request: i, sample: k })),
      );
      for (let start = 0; start < rows.length; start += this.maxBatchRows) {
        options?.signal?.throwIfAborted();
        const chunk = rows.slice(start, start + this.maxBatchRows);
        const out = await this.decode(
          chunk.map((c) => prepared[c.request]!),
          parsed[chunk[0]!.request]!,
          chunk.map((c) => parsed[c.request]!),
          start,
        );
        chunk.forEach((c, j) => {
          samples[c.request]![c.sample] = out[j]!;
        });
      }
    }
    return parsed.map((r, i) => ({
      ...(r.id !== undefined ? { id: r.id } : {}),
      model: this.id,
      samples: samples[i]!,
      promptTokens: prepared[i]!.ids.length,
    }));
  }

  /** Decodes one batch of rows that share sampling settings. */
  private async decode(
    rows: Prepared[],
    settings: GenerateRequest,
    requests: GenerateRequest[],
    rowOffset: number,
  ): Promise<Sample[]> {
    const longest = Math.max(...rows.map((r) => r.ids.length));
    // Rows are left-padded to the longest prompt, which bounds the room for new tokens.
    const maxNew = Math.min(settings.maxTokens, this.model.maxSeqLen - longest + 1);
    if (maxNew <= 0) return rows.map(() => ({ text: '', finishReason: 'length', completionTokens: 0 }));
    const wantLogprobs = requests.some((r) => r.logprobs);
    const stopProcessor = this.stopStringProcessor(rows);
    const seed =
      settings.seed !== undefined ? settings.seed + rowOffset : Math.floor(Math.random() * 2 ** 31);
    const sampling = settings.temperature > 0;
    const result = await coreGenerate(
      this.model,
      rows.map((r) => r.ids),
      {
        maxNewTokens: maxNew,
        doSample: sampling,
        ...(sampling && settings.temperature !== 1 ? { temperature: settings.temperature } : {}),
        ...(sampling && settings.topK !== undefined ? { topK: settings.topK } : {}),
        ...(sampling && settings.topP < 1 ? { topP: settings.topP } : {}),
        stopTokens: this.stopTokens,
        padToken: this.tokenizer.padId ?? 0,
        seed,
        returnLogits: wantLogprobs,
        ...(stopProcessor ? { processors: [stopProcessor] } : {}),
      },
    );
    const vocab = this.model.vocabSize;
    return rows.map((row, r) => {
      const tokens = result.tokens[r]!;
      let text = this.tokenizer.decode(tokens, { skipSpecialTokens: true });
      let finishReason: Sample['finishReason'] = result.finishReasons[r]!;
      let kept = tokens.length;
      let cut = -1;
      for (const s of row.stops) {
        const at = text.indexOf(s);
        if (at >= 0 && (cut < 0 || at < cut)) cut = at;
      }
      if (cut >= 0) {
        text = text.slice(0, cut);
        finishReason = 'stop';
        // Count the tokens whose text lies before the cut (the stop string is not part of the answer).
        kept = 0;
        while (
          kept < tokens.length &&
          this.tokenizer.decode(tokens.slice(0, kept + 1), { skipSpecialTokens: true }).length <= cut
        )
          kept++;
      }
      const sample: Sample = { text, finishReason, completionTokens: kept };
      const request = requests[r]!;
      if (request.logprobs && result.logits) {
        const lp: TokenLogprob[] = [];
        for (let k = 0; k < kept; k++) {
          const data = result.logits[k]!;
          const offset = r * vocab;
          const lse = logSumExp(data, offset, vocab);
          const entry: TokenLogprob = {
            token: this.tokenizer.decode([tokens[k]!]),
            logprob: data[offset + tokens[k]!]! - lse,
          };
          if (request.topLogprobs > 0) {
            const order = Array.from({ length: vocab }, (_, v) => v)
              .sort((a, b) => data[offset + b]! - data[offset + a]!)
              .slice(0, request.topLogprobs);
            entry.topLogprobs = order.map((v) => ({
              token: this.tokenizer.decode([v]),
              logprob: data[offset + v]! - lse,
            }));
          }
          lp.push(entry);
        }
        sample.logprobs = lp;
      }
      return sample;
    });
  }

  /**
   * Forces a stop token once a row's generated text contains one of its stop
   * strings, so rows end early instead of running to maxTokens. Without a stop
   * token the strings are still cut afterwards, just later.
   */
  private stopStringProcessor(rows: Prepared[]): LogitsProcessor | null {
    if (this.stopTokens.length === 0 || rows.every((r) => r.stops.length === 0)) return null;
    const stopToken = this.stopTokens[0]!;
    // A stop string completed at this step lies within the last (its UTF-8 length) tokens.
    const window = rows.map((r) => Math.max(0, ...r.stops.map((s) => Buffer.byteLength(s))));
    return {
      process: (inputIds, logits) => {
        const hit: number[] = [];
        inputIds.forEach((ids, r) => {
          const row = rows[r]!;
          if (!row.stops.length) return;
          const generated = ids.length - row.ids.length;
          if (generated <= 0) return;
          const tail = this.tokenizer.decode(ids.slice(ids.length - Math.min(generated, window[r]!)));
          if (row.stops.some((s) => tail.includes(s))) hit.push(r);
        });
        if (!hit.length) return logits;
        const [batch, vocab] = logits.shape;
        const forced = new Float32Array(batch * vocab);
        const replace = new Float32Array(batch);
        for (const r of hit) {
          replace[r] = 1;
          forced.fill(Number.NEGATIVE_INFINITY, r * vocab, (r + 1) * vocab);
          forced[r * vocab + stopToken] = 0;
        }
        const isHit = tf.reshape(tf.tensor1d(replace), [batch, 1]); // [batch, 1]
        const mask = tf.greater(tf.tile(isHit, [1, vocab]), 0); // [batch, vocab]
        return tf.where(mask, tf.tensor2d(forced, [batch, vocab]), logits) as tf.Tensor2D; // [batch, vocab]
      },
    };
  }

  /**
   * Log-probabilities of `continuation` after `prompt`, tokenized separately
   * (prompt with bos when used). Without bos and with an empty prompt, the
   * first continuation token has no context and is left out.
   */
  async logProbs(prompt: string, continuation: string): Promise<ContinuationLogProbs> {
    const [out] = await this.logProbsBatch([{ prompt, continuation }]);
    return out!;
  }

  /** logProbs for many pairs in one left-padded forward pass. */
  async logProbsBatch(
    pairs: readonly { prompt: string; continuation: string }[],
  ): Promise<ContinuationLogProbs[]> {
    if (pairs.length === 0) return [];
    const encoded = pairs.map(({ prompt, continuation }, i) => {
      let p = this.encodePrompt(prompt);
      let c = this.tokenizer.encode(continuation);
      if (p.length === 0 && c.length > 0) {
        p = c.slice(0, 1);
        c = c.slice(1);
      }
      if (p.length + c.length > this.model.maxSeqLen) {
        throw new LabError(
          'LM_PROMPT_TOO_LONG',
          `logProbs pair #${i}: ${p.length + c.length} tokens exceed maxSeqLen ${this.model.maxSeqLen}`,
          { index: i, tokens: p.length + c.length, maxSeqLen: this.model.maxSeqLen },
        );
      }
      return { p, c };
    });
    const width = Math.max(...encoded.map((e) => e.p.length + e.c.length));
    const pad = this.tokenizer.padId ?? 0;
    const tokens = encoded.map((e) => [
      ...new Array(width - e.p.length - e.c.length).fill(pad),
      ...e.p,
      ...e.c,
    ]);
    const scored = encoded.map((e) => [
      ...new Array(width - e.c.length).fill(0),
      ...new Array(e.c.length).fill(1),
    ]);
    const attention = encoded.map((e) => [
      ...new Array(width - e.p.length - e.c.length).fill(0),
      ...new Array(e.p.length + e.c.length).fill(1),
    ]);
    const wasTraining = (this.model as { training?: boolean }).training;
    this.model.eval();
    try {
      const { sums, perToken } = sequenceLogProbs(this.model, tokens, scored, { attentionMask: attention });
      const values = (await perToken.array()) as number[][];
      tf.dispose([sums, perToken]);
      return encoded.map((e, i) => {
        const logprobs = values[i]!.slice(width - e.c.length);
        return {
          tokens: e.c.map((id) => this.tokenizer.decode([id])),
          logprobs,
          total: logprobs.reduce((a, b) => a + b, 0),
        };
      });
    } finally {
      if (wasTraining === true) this.model.train(true);
    }
  }
}
