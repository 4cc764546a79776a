/**
 * A deterministic, instant LanguageModel for tests, demos and benchmarks of the
 * plumbing (servers, caches, pipelines, judges): a rule maps a request and a
 * sample index to text. One character is one token, so `maxTokens`, `stop` and
 * token counts behave like a real provider's, exactly and predictably.
 */
import {
  type ContinuationLogProbs,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateRequestInput,
  type GenerateResult,
  type LanguageModel,
  messageText,
  parseRequests,
  type Sample,
  type TokenLogprob,
} from './types.js';

/** The rule: text for sample `index` of `request`. */
export type ScriptRule = (request: GenerateRequest, index: number) => string;

export interface ScriptedModelOptions {
  /** Model id; default `scripted`. */
  id?: string;
  /** Default: `echo: <last user text or prompt> #<index>`. */
  rule?: ScriptRule;
  /** Delay per generate() call in ms, to simulate latency. */
  delayMs?: number;
}

/** The prompt text a rule usually looks at: the last user message, or the raw prompt. */
export function lastUserText(request: GenerateRequest): string {
  if (request.prompt !== undefined) return request.prompt;
  const users = request.messages!.filter((m) => m.role === 'user');
  return users.length ? messageText(users[users.length - 1]!) : '';
}

const defaultRule: ScriptRule = (request, index) => `echo: ${lastUserText(request)} #${index}`;

/** A fixed, prompt-dependent log-probability per character (in (-1, 0)); only consistency matters. */
function charLogprob(context: string, ch: string): number {
  const h = (context.length * 31 + ch.charCodeAt(0) * 17) % 97;
  return -(h + 1) / 100;
}

/**
 * @example
 * ```ts
 * const model = new ScriptedModel({ rule: (r, i) => `answer ${i}` });
 * const [r] = await model.generate([{ prompt: 'q', n: 2 }]); // 'answer 0', 'answer 1'
 * ```
 */
export class ScriptedModel implements LanguageModel {
  readonly id: string;
  /** Every request this model answered, in order (for tests that count calls). */
  readonly calls: GenerateRequest[] = [];
  private readonly rule: ScriptRule;
  private readonly delayMs: number;

  constructor(options: ScriptedModelOptions = {}) {
    this.id = options.id ?? 'scripted';
    this.rule = options.rule ?? defaultRule;
    this.delayMs = options.delayMs ?? 0;
  }

  async generate(
    requests: readonly GenerateRequestInput[],
    options?: GenerateOptions,
  ): Promise<GenerateResult[]> {
    const parsed = parseRequests(requests);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    options?.signal?.throwIfAborted();
    return parsed.map((request) => {
      this.calls.push(request);
      const context = request.prompt ?? JSON.stringify(request.messages);
      const samples: Sample[] = [];
      for (let i = 0; i < request.n; i++) {
        let text = this.rule(request, i);
        let finishReason: Sample['finishReason'] = 'stop';
        // Stop strings cut before the match, as OpenAI servers do.
        let cut = text.length;
        for (const s of request.stop) {
          const at = text.indexOf(s);
          if (at >= 0 && at < cut) cut = at;
        }
        text = text.slice(0, cut);
        if (text.length > request.maxTokens) {
          text = text.slice(0, request.maxTokens);
          finishReason = 'length';
        }
        const sample: Sample = { text, finishReason, completionTokens: text.length };
        if (request.logprobs) {
          sample.logprobs = [...text].map(
            (ch, k): TokenLogprob => ({ token: ch, logprob: charLogprob(context + text.slice(0, k), ch) }),
          );
        }
        samples.push(sample);
      }
      return { id: request.id, model: this.id, samples, promptTokens: context.length };
    });
  }

  async logProbs(prompt: string, continuation: string): Promise<ContinuationLogProbs> {
    const tokens = [...continuation];
    const logprobs = tokens.map((ch, k) => charLogprob(prompt + continuation.slice(0, k), ch));
    return { tokens, logprobs, total: logprobs.reduce((a, b) => a + b, 0) };
  }
}
