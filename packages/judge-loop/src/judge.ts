/**
 * The Self-Taught judge as an @lab/lm `Judge`: any LanguageModel (the seed, a
 * trained iteration, a served checkpoint) asked with the Self-Taught prompt
 * and parsed by lm's verdict parser, so other packages consume it through the
 * shared interface.
 */
import {
  type LanguageModel,
  LMJudge,
  type LMJudgeConfigInput,
  type PairwiseTemplate,
  type PointwiseTemplate,
} from '@lab/lm';
import { judgeTemplate } from './templates.js';

export interface SelfTaughtJudgeOptions extends LMJudgeConfigInput {
  /** Pairwise prompt. Default judgeTemplate (RewardBench `prompt_v2` layout, which the released model expects). */
  template?: PairwiseTemplate;
  pointwiseTemplate?: PointwiseTemplate;
}

/**
 * A Judge over `model`. Defaults follow the paper's inference: greedy, one
 * sample, both orders; `{ samples: 32, temperature: 0.7, topP: 0.9 }` is the
 * majority vote. Evaluation wants `bothOrders: false` (it swaps orders itself).
 *
 * @example
 * ```ts
 * const judge = selfTaughtJudge(new OpenAICompatibleModel({ baseURL, model: 'facebook/Self-taught-evaluator-llama3.1-70B' }));
 * const [j] = await judge.pairwise([{ prompt: q, responseA: a, responseB: b }]);
 * console.log(j.verdict, j.reasoning);
 * ```
 */
export function selfTaughtJudge(model: LanguageModel, options: SelfTaughtJudgeOptions = {}): LMJudge {
  const { template, pointwiseTemplate, ...config } = options;
  return new LMJudge(model, config, {
    pairwise: template ?? judgeTemplate,
    ...(pointwiseTemplate ? { pointwise: pointwiseTemplate } : {}),
  });
}
