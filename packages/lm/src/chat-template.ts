/**
 * Chat templates: render messages to the prompt text a local model sees. A
 * template is a small object, so users swap in their model's own format.
 */
import { LabError } from '@lab/core';
import type { ChatMessage } from './types.js';

export interface ChatTemplate {
  /** Prompt text; with `addGenerationPrompt`, ends where the assistant's reply begins. */
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string;
  /** Strings that end an assistant turn; generation stops at them. */
  readonly stop: readonly string[];
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((p) => {
      if (p.type === 'text') return p.text;
      throw new LabError(
        'LM_UNSUPPORTED',
        'this chat template renders text only; the message has an image part',
        {
          role: message.role,
        },
      );
    })
    .join('');
}

/**
 * Plain role-prefixed lines (`User: …\nAssistant: …\n`), readable by a tiny
 * byte-level model; a turn ends at the newline.
 *
 * @example
 * ```ts
 * plainChatTemplate.render([{ role: 'user', content: 'hi' }], true); // 'User: hi\nAssistant:'
 * ```
 */
export const plainChatTemplate: ChatTemplate = {
  render(messages, addGenerationPrompt) {
    const names = { system: 'System', developer: 'System', user: 'User', assistant: 'Assistant' } as const;
    const body = messages.map((m) => `${names[m.role]}: ${textOf(m)}\n`).join('');
    return addGenerationPrompt ? `${body}Assistant:` : body;
  },
  stop: ['\n'],
};

/** ChatML (`<|im_start|>role\n…<|im_end|>\n`), as used by Qwen and many others. */
export const chatMLTemplate: ChatTemplate = {
  render(messages, addGenerationPrompt) {
    const body = messages
      .map((m) => `<|im_start|>${m.role === 'developer' ? 'system' : m.role}\n${textOf(m)}<|im_end|>\n`)
      .join('');
    return addGenerationPrompt ? `${body}<|im_start|>assistant\n` : body;
  },
  stop: ['<|im_end|>'],
};
