/**
 * The LanguageModel contract shared by every provider (HTTP servers, local
 * transformers, scripted test models) and every method package. Requests and
 * results are zod schemas so invalid options fail before any call is made.
 */
import { LabError } from '@lab/core';
import { z } from 'zod';

/** A text part of an OpenAI-style message. */
export const TextPartSchema = z.strictObject({ type: z.literal('text'), text: z.string() });

/** An image part in the OpenAI message format (`data:` URLs or http(s) URLs). */
export const ImagePartSchema = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});

export const ContentPartSchema = z.discriminatedUnion('type', [TextPartSchema, ImagePartSchema]);

/** One chat message; `content` is a string or a list of text/image parts. */
export const ChatMessageSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(ContentPartSchema)]),
  name: z.string().optional(),
});

/**
 * One generation request: either chat `messages` or a raw `prompt` (exactly
 * one). Defaults follow the OpenAI API, except `maxTokens`, which is always set
 * so local and remote providers stop at the same place.
 */
export const GenerateRequestSchema = z
  .strictObject({
    /** Caller's id, echoed in errors and logs; not part of the cache key. */
    id: z.string().optional(),
    messages: z.array(ChatMessageSchema).min(1).optional(),
    prompt: z.string().optional(),
    /** Samples to draw for this request. */
    n: z.int().min(1).max(1024).default(1),
    /** 0 means greedy. */
    temperature: z.number().min(0).max(10).default(1),
    topP: z.number().gt(0).max(1).default(1),
    /** Non-standard on the OpenAI API; providers that cannot honour it say so. */
    topK: z.int().min(1).optional(),
    maxTokens: z.int().min(0).max(1_000_000).default(256),
    stop: z.array(z.string().min(1)).default([]),
    seed: z.int().optional(),
    /** Return the log-probability of each sampled token. */
    logprobs: z.boolean().default(false),
    /** With `logprobs`, also the k most likely alternatives per position. */
    topLogprobs: z.int().min(0).max(20).default(0),
  })
  .superRefine((r, ctx) => {
    if ((r.messages === undefined) === (r.prompt === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of `messages` or `prompt`', path: [] });
    }
  });

export type ContentPart = z.infer<typeof ContentPartSchema>;
export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;
export type GenerateRequestInput = z.input<typeof GenerateRequestSchema>;

export const TokenLogprobSchema = z.strictObject({
  token: z.string(),
  logprob: z.number(),
  /** The most likely alternatives at this position (present when asked for). */
  topLogprobs: z.array(z.strictObject({ token: z.string(), logprob: z.number() })).optional(),
});
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

export const FinishReasonSchema = z.enum(['stop', 'length', 'content_filter', 'other']);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const SampleSchema = z.strictObject({
  text: z.string(),
  /** `stop`: end of sequence or a stop string; `length`: hit maxTokens. */
  finishReason: FinishReasonSchema,
  completionTokens: z.int().min(0),
  logprobs: z.array(TokenLogprobSchema).optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

/** The answer to one request: its `n` samples in order. */
export const GenerateResultSchema = z.strictObject({
  id: z.string().optional(),
  model: z.string(),
  samples: z.array(SampleSchema),
  promptTokens: z.int().min(0),
});
export type GenerateResult = z.infer<typeof GenerateResultSchema>;

/** Log-probabilities of a continuation's tokens given a prompt. */
export interface ContinuationLogProbs {
  /** Continuation tokens as text. */
  tokens: string[];
  /** Natural-log probability of each token. */
  logprobs: number[];
  /** Sum of `logprobs`. */
  total: number;
}

export interface GenerateOptions {
  /** Aborts every request still pending; already finished ones are lost to the caller. */
  signal?: AbortSignal;
}

/**
 * What every provider implements. A method package takes a LanguageModel and
 * never learns whether it talks to a server or a local transformer.
 *
 * @example
 * ```ts
 * const [r] = await model.generate([{ messages: [{ role: 'user', content: 'Hi' }], n: 2 }]);
 * console.log(r.samples.map((s) => s.text));
 * ```
 */
export interface LanguageModel {
  /** Stable identity used in cache keys (provider + model name). */
  readonly id: string;
  /** One result per request, in order, each with `n` samples. */
  generate(requests: readonly GenerateRequestInput[], options?: GenerateOptions): Promise<GenerateResult[]>;
  /** Present when the provider can score a continuation. */
  logProbs?(prompt: string, continuation: string, options?: GenerateOptions): Promise<ContinuationLogProbs>;
}

/**
 * Parses every request up front, so a bad option fails before any call.
 * Throws LabError `LM_INVALID_REQUEST` naming the request index and field.
 */
export function parseRequests(requests: readonly GenerateRequestInput[]): GenerateRequest[] {
  return requests.map((r, i) => {
    const parsed = GenerateRequestSchema.safeParse(r);
    if (!parsed.success) {
      const id = (r as { id?: unknown })?.id;
      throw new LabError(
        'LM_INVALID_REQUEST',
        `request #${i}${typeof id === 'string' ? ` (id ${id})` : ''} is invalid:\n${z.prettifyError(parsed.error)}`,
        { index: i, id, issues: parsed.error.issues },
      );
    }
    return parsed.data;
  });
}

/** Generates for one request and returns its result. */
export async function generateOne(
  model: LanguageModel,
  request: GenerateRequestInput,
  options?: GenerateOptions,
): Promise<GenerateResult> {
  const [result] = await model.generate([request], options);
  return result!;
}

/** The concatenated text parts of a message (image parts are skipped). */
export function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .filter((p): p is z.infer<typeof TextPartSchema> => p.type === 'text')
    .map((p) => p.text)
    .join('');
}
