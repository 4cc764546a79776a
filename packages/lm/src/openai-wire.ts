/**
 * The OpenAI HTTP wire format (chat/completions and completions), as zod
 * schemas, and the mapping between it and our GenerateRequest/Sample. Shared by
 * the client (OpenAICompatibleModel) and the server (serveOpenAI) so both sides
 * agree by construction. Wire objects are loose: servers add fields freely.
 */
import { z } from 'zod';
import {
  ChatMessageSchema,
  type FinishReason,
  type GenerateRequest,
  type Sample,
  type TokenLogprob,
} from './types.js';

const StopSchema = z.union([z.string(), z.array(z.string())]).nullish();

const commonRequestFields = {
  model: z.string().optional(),
  n: z.int().min(1).max(1024).nullish(),
  temperature: z.number().min(0).max(10).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  /** vLLM and llama.cpp server extension. */
  top_k: z.int().nullish(),
  max_tokens: z.int().min(0).nullish(),
  stop: StopSchema,
  seed: z.int().nullish(),
  stream: z.boolean().nullish(),
  user: z.string().optional(),
};

export const WireChatRequestSchema = z.looseObject({
  ...commonRequestFields,
  messages: z.array(ChatMessageSchema).min(1),
  max_completion_tokens: z.int().min(0).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.int().min(0).max(20).nullish(),
});
export type WireChatRequest = z.infer<typeof WireChatRequestSchema>;

export const WireCompletionRequestSchema = z.looseObject({
  ...commonRequestFields,
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  /** Legacy API: an integer k asks for token logprobs plus the top k. */
  logprobs: z.int().min(0).max(20).nullish(),
  echo: z.boolean().nullish(),
});
export type WireCompletionRequest = z.infer<typeof WireCompletionRequestSchema>;

const TopLogprobEntry = z.looseObject({ token: z.string(), logprob: z.number() });

const WireChatChoiceSchema = z.looseObject({
  index: z.int().min(0).optional(),
  message: z.looseObject({ role: z.string().optional(), content: z.string().nullable() }),
  finish_reason: z.string().nullish(),
  logprobs: z
    .looseObject({
      content: z
        .array(
          z.looseObject({
            token: z.string(),
            logprob: z.number(),
            top_logprobs: z.array(TopLogprobEntry).nullish(),
          }),
        )
        .nullish(),
    })
    .nullish(),
});

const WireCompletionChoiceSchema = z.looseObject({
  index: z.int().min(0).optional(),
  text: z.string(),
  finish_reason: z.string().nullish(),
  logprobs: z
    .looseObject({
      tokens: z.array(z.string()),
      token_logprobs: z.array(z.number().nullable()),
      top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullish(),
      text_offset: z.array(z.int()).nullish(),
    })
    .nullish(),
});

const UsageSchema = z
  .looseObject({ prompt_tokens: z.int().min(0).nullish(), completion_tokens: z.int().min(0).nullish() })
  .nullish();

export const WireChatResponseSchema = z.looseObject({
  model: z.string().optional(),
  choices: z.array(WireChatChoiceSchema),
  usage: UsageSchema,
});
export const WireCompletionResponseSchema = z.looseObject({
  model: z.string().optional(),
  choices: z.array(WireCompletionChoiceSchema),
  usage: UsageSchema,
});
export type WireChatResponse = z.infer<typeof WireChatResponseSchema>;
export type WireCompletionResponse = z.infer<typeof WireCompletionResponseSchema>;
export type WireCompletionChoice = z.infer<typeof WireCompletionChoiceSchema>;

export function toFinishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'stop' || reason === 'length' || reason === 'content_filter') return reason;
  // llama.cpp and older servers say `eos`; tool calls are not used here.
  if (reason === 'eos' || reason === 'eos_token') return 'stop';
  return 'other';
}

/** The sampling fields both endpoints share. `n` is passed separately (fan-out may lower it). */
function samplingFields(
  req: GenerateRequest,
  model: string,
  n: number,
  seed: number | undefined,
  topK: boolean,
) {
  return {
    model,
    n,
    temperature: req.temperature,
    top_p: req.topP,
    ...(topK && req.topK !== undefined ? { top_k: req.topK } : {}),
    max_tokens: req.maxTokens,
    ...(req.stop.length ? { stop: req.stop } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** Our request → the chat/completions body. */
export function toWireChat(
  req: GenerateRequest,
  model: string,
  n: number,
  seed: number | undefined,
  topK: boolean,
) {
  return {
    ...samplingFields(req, model, n, seed, topK),
    messages: req.messages,
    ...(req.logprobs ? { logprobs: true, top_logprobs: req.topLogprobs } : {}),
  };
}

/** Our request → the legacy completions body (logprobs is a count there). */
export function toWireCompletion(
  req: GenerateRequest,
  model: string,
  n: number,
  seed: number | undefined,
  topK: boolean,
) {
  return {
    ...samplingFields(req, model, n, seed, topK),
    prompt: req.prompt,
    ...(req.logprobs ? { logprobs: req.topLogprobs } : {}),
  };
}

/** Wire chat choices → samples, ordered by `index`. */
export function fromWireChat(res: WireChatResponse): Sample[] {
  const choices = [...res.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return choices.map((c) => {
    const text = c.message.content ?? '';
    const lp = c.logprobs?.content;
    const sample: Sample = {
      text,
      finishReason: toFinishReason(c.finish_reason),
      completionTokens: lp ? lp.length : 0,
    };
    if (lp) {
      sample.logprobs = lp.map(
        (t): TokenLogprob => ({
          token: t.token,
          logprob: t.logprob,
          ...(t.top_logprobs?.length
            ? { topLogprobs: t.top_logprobs.map((a) => ({ token: a.token, logprob: a.logprob })) }
            : {}),
        }),
      );
    }
    return sample;
  });
}

/** Wire completion choices → samples, ordered by `index`. */
export function fromWireCompletion(res: WireCompletionResponse): Sample[] {
  const choices = [...res.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return choices.map((c) => {
    const lp = c.logprobs;
    const sample: Sample = {
      text: c.text,
      finishReason: toFinishReason(c.finish_reason),
      completionTokens: lp ? lp.tokens.length : 0,
    };
    if (lp) {
      sample.logprobs = lp.tokens.map((token, k): TokenLogprob => {
        const top = lp.top_logprobs?.[k];
        return {
          token,
          logprob: lp.token_logprobs[k] ?? 0,
          ...(top && Object.keys(top).length
            ? { topLogprobs: Object.entries(top).map(([t, l]) => ({ token: t, logprob: l })) }
            : {}),
        };
      });
    }
    return sample;
  });
}

/** The OpenAI error body. */
export interface WireError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function wireError(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): WireError {
  return { error: { message, type, param, code } };
}
