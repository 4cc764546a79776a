/**
 * Training-data records in the conventions of TRL and OpenRLHF, so data made
 * here trains a large model elsewhere:
 * - SFT: `{prompt, completion}` (TRL prompt-completion; OpenRLHF
 *   `--input_key prompt --output_key completion`);
 * - preference: `{prompt, chosen, rejected}` (TRL DPOTrainer; OpenRLHF
 *   `--prompt_key prompt --chosen_key chosen --rejected_key rejected`).
 * Each is "standard" (strings) or "conversational" (message lists, where
 * prompt holds the conversation so far and completion/chosen/rejected hold the
 * assistant turn). Extra fields (id, license, scores) are kept.
 */
import { readJsonlAll, writeJsonl } from '@lab/core';
import { z } from 'zod';
import type { ChatTemplate } from './chat-template.js';
import { type ChatMessage, ChatMessageSchema, messageText } from './types.js';

const TextOrMessages = z.union([z.string(), z.array(ChatMessageSchema).min(1)]);

function sameForm(fields: string[]) {
  return (r: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const forms = new Set(fields.map((f) => typeof r[f]));
    if (forms.size > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `${fields.join(', ')} must all be strings or all be message lists (TRL rejects mixed forms)`,
      });
    }
  };
}

export const SftExampleSchema = z
  .looseObject({ prompt: TextOrMessages, completion: TextOrMessages })
  .superRefine(sameForm(['prompt', 'completion']));
export const PreferencePairSchema = z
  .looseObject({ prompt: TextOrMessages, chosen: TextOrMessages, rejected: TextOrMessages })
  .superRefine(sameForm(['prompt', 'chosen', 'rejected']));

export type SftExample = z.infer<typeof SftExampleSchema>;
export type PreferencePair = z.infer<typeof PreferencePairSchema>;

/** Reads SFT examples from JSONL (core readJsonlAll); errors (JSONL_PARSE, JSONL_SCHEMA) name the file and line. */
export function readSftJsonl(path: string): Promise<SftExample[]> {
  return readJsonlAll(path, SftExampleSchema);
}
/** Reads preference pairs from JSONL (core readJsonlAll); errors name the file and line. */
export function readPreferenceJsonl(path: string): Promise<PreferencePair[]> {
  return readJsonlAll(path, PreferencePairSchema);
}

/**
 * Writes SFT examples as JSONL (each validated, written atomically through
 * core's writeJsonl); returns the count.
 *
 * @example
 * ```ts
 * await writeSftJsonl('out/sft.jsonl', [{ prompt: 'Q: 2+2?', completion: ' 4' }]);
 * // TRL: SFTTrainer(train_dataset=load_dataset('json', data_files='out/sft.jsonl'))
 * ```
 */
export async function writeSftJsonl(path: string, examples: readonly SftExample[]): Promise<void> {
  await writeJsonl(
    path,
    examples.map((e) => SftExampleSchema.parse(e)),
  );
}
/** Writes preference pairs as JSONL (validated first, written atomically). */
export async function writePreferenceJsonl(path: string, pairs: readonly PreferencePair[]): Promise<void> {
  await writeJsonl(
    path,
    pairs.map((p) => PreferencePairSchema.parse(p)),
  );
}

const asUser = (x: string | ChatMessage[]): ChatMessage[] =>
  typeof x === 'string' ? [{ role: 'user', content: x }] : x;
const asAssistant = (x: string | ChatMessage[]): ChatMessage[] =>
  typeof x === 'string' ? [{ role: 'assistant', content: x }] : x;

/** Standard → conversational: the prompt becomes a user turn, answers assistant turns. */
export function toConversational<T extends SftExample | PreferencePair>(record: T): T {
  const out: Record<string, unknown> = { ...record, prompt: asUser(record.prompt) };
  for (const k of ['completion', 'chosen', 'rejected'] as const) {
    if (k in record) out[k] = asAssistant((record as Record<string, string | ChatMessage[]>)[k]!);
  }
  return out as T;
}

/**
 * Conversational → standard, rendering the prompt with `template` (with the
 * generation prompt) and answers as their message text; what a local model
 * trains on, and what base-model trainers expect.
 */
export function toStandard<T extends SftExample | PreferencePair>(record: T, template: ChatTemplate): T {
  const render = (x: string | ChatMessage[]) => (typeof x === 'string' ? x : template.render(x, true));
  const answer = (x: string | ChatMessage[]) => (typeof x === 'string' ? x : x.map(messageText).join(''));
  const out: Record<string, unknown> = { ...record, prompt: render(record.prompt) };
  for (const k of ['completion', 'chosen', 'rejected'] as const) {
    if (k in record) out[k] = answer((record as Record<string, string | ChatMessage[]>)[k]!);
  }
  return out as T;
}
