/**
 * Prompts (spec §6): a CoA-tuned model gets its training prompt; a general
 * model gets six package-written few-shot exemplars of abstract chains.
 */

/** The prompt the package's training data uses: `Question: …\nAnswer:`. */
export function trainingPrompt(question: string): string {
  return `Question: ${question}\nAnswer:`;
}

/** Six exemplars written for this package (math, chained and search/NER calls). */
export const FEW_SHOT_EXEMPLARS: readonly { question: string; chain: string }[] = [
  {
    question: 'Ann has 12 pens and buys 7 more. How many pens does she have?',
    chain: 'She has [12 + 7 = y1] pens. The answer is y1.',
  },
  {
    question: 'A box holds 24 eggs. How many eggs are in 5 boxes, minus 9 broken ones?',
    chain: 'Five boxes hold [24 * 5 = y1] eggs, and without the broken ones [y1 - 9 = y2]. The answer is y2.',
  },
  {
    question:
      'Tom splits 1,250 dollars equally among 4 people, then each spends 12.5 dollars. How much does each keep?',
    chain: 'Each gets [1,250 / 4 = y1] dollars and keeps [y1 - 12.5 = y2]. The answer is y2.',
  },
  {
    question:
      'A shirt costs 40 dollars after a 20 dollar discount. Two shirts at the full price cost how much?',
    chain: 'The full price is [y1 - 20 = 40], so two cost [2 * y1 = y2]. The answer is y2.',
  },
  {
    question: 'In which country was the director of the film Alien born?',
    chain:
      'The director is [director of the film Alien -Wiki-> y1] [y1 -NER(person)-> y2]; he was born in [birthplace of y2 -Wiki-> y3] [y3 -NER(location)-> y4]. The answer is y4.',
  },
  {
    question: 'How many years passed between the release of Jaws and the release of Alien?',
    chain:
      'Jaws came out in [release of Jaws -Wiki-> y1] [y1 -NER(date)-> y2] and Alien in [release of Alien -Wiki-> y3] [y3 -NER(date)-> y4], so [y4 - y2 = y5]. The answer is y5.',
  },
];

/**
 * A few-shot prompt for a general model: instructions, the exemplars, then the question.
 *
 * @example
 * fewShotPrompt('What is 3 + 4 times 2?'); // '… Question: What is 3 + 4 times 2?\nAnswer:'
 */
export function fewShotPrompt(question: string, exemplars = FEW_SHOT_EXEMPLARS): string {
  const head =
    'Answer with an abstract chain: write each computation or lookup as a bracketed call whose result is a ' +
    'placeholder (y1, y2, ...), e.g. [20 + 35 = y1] or [query -Wiki-> y1], reuse placeholders later, and end ' +
    'with "The answer is yN."';
  const shots = exemplars.map((e) => `Question: ${e.question}\nAnswer: ${e.chain}`).join('\n\n');
  return `${head}\n\n${shots}\n\n${trainingPrompt(question)}`;
}
