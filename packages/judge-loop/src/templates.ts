/**
 * The Self-Taught Evaluator's prompts, paraphrased (not copied) from the
 * paper's appendix and the MT-Bench pairwise layout that RewardBench's
 * `prompt_v2` uses. Every template is a plain function, so a user replaces any
 * of them by passing their own; the loop only relies on the output markers
 * (`[[A]]`/`[[B]]`/`[[C]]` for verdicts, the worse-response markers below).
 */
import type { ChatMessage, PairwiseInput, PairwiseTemplate } from '@lab/lm';

/** A rendered prompt: chat messages, or a raw string for base models and tiny local models. */
export type Rendered = ChatMessage[] | string;

/** Renders the instruction the generator answers (y_w = G(x)). */
export type ResponseTemplate = (prompt: string) => Rendered;

/** Renders the request for a modified instruction x′ and its answer y_l, given x and y_w. */
export type WorseResponseTemplate = (input: { prompt: string; response: string }) => Rendered;

/** Renders the request to tag an instruction with one of `categories`. */
export type CategoryTemplate = (prompt: string, categories: readonly string[]) => Rendered;

/** Every prompt the loop renders; each one is replaceable. */
export interface JudgeLoopTemplates {
  response: ResponseTemplate;
  worseResponse: WorseResponseTemplate;
  category: CategoryTemplate;
  /** The judge prompt (sampling, evaluation, the trained Judge). */
  judge: PairwiseTemplate;
  /** The plan-style judge prompt the DPO stage samples with. */
  plan: PairwiseTemplate;
}

/** Markers of the worse-response output (case-insensitive when parsed). */
export const WORSE_MARKERS = {
  question: '[User Question Modified]',
  answerStart: "[The start of Assistant's answer to the modified instruction]",
  answerEnd: "[The end of Assistant's answer to the modified instruction]",
} as const;

function pairLayout(x: PairwiseInput): string {
  return (
    `[User Question]\n${x.prompt}\n\n` +
    `[The Start of Assistant A's Answer]\n${x.responseA}\n[The End of Assistant A's Answer]\n\n` +
    `[The Start of Assistant B's Answer]\n${x.responseB}\n[The End of Assistant B's Answer]`
  );
}

const JUDGE_SYSTEM =
  'You are a fair and impartial judge. Two AI assistants answered the user question shown below; ' +
  'decide which answer serves the user better. Weigh how helpful, relevant, accurate and deep each ' +
  'answer is, and its creativity and level of detail where they matter. Start with a short explanation ' +
  'comparing the two answers. Do not let the order in which the answers appear, their length, or the ' +
  'names of the assistants sway you, and stay as objective as you can. After the explanation, give ' +
  'your final verdict in exactly this form: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better.';

const PLAN_SYSTEM =
  'You are a fair and impartial judge. Two AI assistants answered the user question shown below; ' +
  'decide which answer serves the user better. First list the mistakes, if any, in each answer. ' +
  'Then write a short rubric of what a good answer to this particular question must get right. ' +
  'Apply the rubric to each answer in turn. Ignore the order of the answers, their length and the ' +
  'names of the assistants. Finish with your final verdict in exactly this form: "[[A]]" if assistant ' +
  'A is better, "[[B]]" if assistant B is better.';

/**
 * The judge prompt: a system turn with the criteria and the verdict format,
 * then the MT-Bench pairwise layout (`[User Question]`, each answer between
 * `[The Start of Assistant A's Answer]` and `[The End of Assistant A's Answer]`).
 *
 * @example
 * ```ts
 * const messages = judgeTemplate({ prompt: 'Capital of France?', responseA: 'Paris', responseB: 'Lyon' });
 * ```
 */
export const judgeTemplate: PairwiseTemplate = (x) => [
  { role: 'system', content: JUDGE_SYSTEM },
  { role: 'user', content: pairLayout(x) },
];

/** The plan prompt: errors, a question-specific rubric, its application, then the verdict. Same layout. */
export const planTemplate: PairwiseTemplate = (x) => [
  { role: 'system', content: PLAN_SYSTEM },
  { role: 'user', content: pairLayout(x) },
];

/** The generator answers the instruction as a plain user turn. */
export const responseTemplate: ResponseTemplate = (prompt) => [{ role: 'user', content: prompt }];

/**
 * The worse-response prompt: from (x, y_w), write x′ (same topic, a different
 * request, so a good answer to x′ is a worse answer to x) and a good answer to
 * x′, between the markers of {@link WORSE_MARKERS}.
 */
export const worseResponseTemplate: WorseResponseTemplate = ({ prompt, response }) => [
  {
    role: 'user',
    content:
      'Below are a user instruction and an answer to it.\n\n' +
      `[User Question]\n${prompt}\n\n[The Start of Assistant's Answer]\n${response}\n[The End of Assistant's Answer]\n\n` +
      'Write a modified version of the instruction. It must stay on the same topic and look similar, ' +
      'but ask for something noticeably different, so that a good answer to the modified instruction ' +
      'would be a poor answer to the original one. Then write a high-quality answer to the modified ' +
      'instruction. Do not explain anything; reply in exactly this format:\n' +
      `${WORSE_MARKERS.question}\n<the modified instruction>\n` +
      `${WORSE_MARKERS.answerStart}\n<the answer to the modified instruction>\n${WORSE_MARKERS.answerEnd}`,
  },
];

/** The category-tagging prompt; the reply ends with `Category: <name>`. */
export const categoryTemplate: CategoryTemplate = (prompt, categories) => [
  {
    role: 'user',
    content:
      `Classify the user instruction below into exactly one of these categories: ${categories.join(', ')}.\n\n` +
      `[User Question]\n${prompt}\n[End of User Question]\n\n` +
      'Reply with one line of the form "Category: <name>", using a name from the list.',
  },
];

/** The defaults, for spreading with your replacements: `{ ...defaultTemplates, judge: mine }`. */
export const defaultTemplates: JudgeLoopTemplates = {
  response: responseTemplate,
  worseResponse: worseResponseTemplate,
  category: categoryTemplate,
  judge: judgeTemplate,
  plan: planTemplate,
};
