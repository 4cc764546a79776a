// The README's example, with a scripted model in place of the HTTP server and
// a local function in place of the shop API.
import { ScriptedModel } from '@lab/lm';
import { expect, it } from 'vitest';
import { bm25SearchTool, CoAModel, entityPickerTool, fewShotPrompt, reify, type Tool } from '../src/index.js';

it('README example: a user tool answers a question through any LanguageModel', async () => {
  const model = new ScriptedModel({
    rule: () => ' [red mugs -Stock-> y1] [blue mugs -Stock-> y2] [y1 + y2 = y3]. The answer is y3.',
  });
  const counts: Record<string, number> = { 'red mugs': 12, 'blue mugs': 30 };
  const stock: Tool = { name: 'Stock', call: async (item) => counts[String(item)] };
  const coa = new CoAModel(model, [stock], { maxTokens: 200 }, fewShotPrompt);
  const r = await coa.answer('How many red and blue mugs are in stock together?');
  expect(r.reification.filled).toBe(
    ' [red mugs -Stock-> 12] [blue mugs -Stock-> 30] [12 + 30 = 42]. The answer is 42.',
  );
  expect(r.prediction).toBe('42');
  expect(model.calls[0].prompt).toContain('Question: How many red and blue mugs');
});

it('README example: reify without a model', async () => {
  const wiki = bm25SearchTool([
    { id: 'alien', title: 'Alien', text: 'Alien is a 1979 film directed by Ridley Scott.' },
  ]);
  const r = await reify('[director of Alien -Wiki-> y1] [y1 -NER(person)-> y2]. The answer is y2.', {
    tools: [wiki, entityPickerTool()],
  });
  expect(r.answer).toBe('Ridley Scott');
});
