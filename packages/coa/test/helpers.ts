/**
 * A simulated LanguageModel for executor tests: it "decodes" a fixed chain per
 * question at a fixed cost per character (one character = one token),
 * continuing from whatever prefix the prompt already holds, and honours stop
 * strings the way OpenAI servers do (cut before the match).
 */
import type { GenerateRequestInput, GenerateResult, LanguageModel } from '@lab/lm';
import { trainingPrompt } from '../src/index.js';

export class SimulatedChainModel implements LanguageModel {
  readonly id = 'simulated';
  calls = 0;
  constructor(
    private readonly chains: ReadonlyMap<string, string>,
    private readonly msPerToken: number,
  ) {}

  async generate(requests: readonly GenerateRequestInput[]): Promise<GenerateResult[]> {
    const out: GenerateResult[] = [];
    for (const r of requests) {
      this.calls++;
      const prompt = r.prompt ?? '';
      let target: string | undefined;
      let prefix = '';
      for (const [q, chain] of this.chains) {
        const head = trainingPrompt(q);
        if (prompt.startsWith(head)) {
          target = chain;
          prefix = prompt.slice(head.length);
        }
      }
      if (target === undefined) throw new Error(`no chain for prompt ${prompt.slice(0, 60)}`);
      let text = target.startsWith(prefix) ? target.slice(prefix.length) : '';
      let finishReason: 'stop' | 'length' = 'stop';
      for (const s of r.stop ?? []) {
        const at = text.indexOf(s);
        if (at >= 0) text = text.slice(0, at);
      }
      if (text.length > (r.maxTokens ?? 256)) {
        text = text.slice(0, r.maxTokens ?? 256);
        finishReason = 'length';
      }
      await new Promise((res) => setTimeout(res, this.msPerToken * text.length));
      out.push({
        model: this.id,
        promptTokens: prompt.length,
        samples: [{ text, finishReason, completionTokens: text.length }],
      });
    }
    return out;
  }
}
