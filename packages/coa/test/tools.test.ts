import { describe, expect, it } from 'vitest';
import {
  bm25SearchTool,
  entityPickerTool,
  equationSolverTool,
  findEntities,
  reify,
  type Tool,
} from '../src/index.js';

const DOCS = [
  {
    id: 'alien',
    title: 'Alien (film)',
    text: 'Alien is a 1979 science fiction horror film directed by Ridley Scott.',
  },
  { id: 'scott', title: 'Ridley Scott', text: 'Ridley Scott was born in South Shields, England, in 1937.' },
  {
    id: 'shields',
    title: 'South Shields',
    text: 'South Shields is a coastal town with a population of 75,337.',
  },
  { id: 'jaws', title: 'Jaws (film)', text: 'Jaws is a 1975 thriller film directed by Steven Spielberg.' },
];

describe('tools', () => {
  it('equation solver evaluates and solves exactly', async () => {
    const calc = equationSolverTool();
    expect(await calc.call('1,250 * 3')).toBe(3750);
    expect(await calc.call('2 * x + 3 = 11')).toBe(4);
    expect(await calc.call('11 = 3 + 2*x')).toBe(4);
    expect(await calc.call('20% * 50')).toBe(10);
    await expect(calc.call('process.exit()')).rejects.toThrow(/bad-number|unknown-identifier|unexpected/);
    await expect(calc.call('x + y = 3')).rejects.toThrow(/exactly one unknown/);
  });

  it('equation solver returns the nearest double, not a rounded display value', async () => {
    const calc = equationSolverTool();
    const third = Number(await calc.call('1 / 3'));
    expect(third).toBe(1 / 3);
    expect(third * 3).toBe(1);
    expect(await calc.call('3 * x = 1')).toBe(1 / 3);
    expect(await calc.call('2 / 3')).toBe(2 / 3);
  });

  it('BM25 search ranks the matching document first and honours a rank option', async () => {
    const wiki = bm25SearchTool(DOCS);
    expect(await wiki.call('director of the film Alien')).toBe(DOCS[0].text);
    expect(wiki.search('Spielberg thriller')[0].id).toBe('jaws');
    const titles = bm25SearchTool(DOCS, { returns: 'title' });
    expect(await titles.call('Ridley Scott born')).toBe('Ridley Scott');
    expect(await wiki.call('film directed', '2')).not.toBe(await wiki.call('film directed', '1'));
    await expect(wiki.call('zzzz qqqq')).rejects.toThrow(/no document/);
    expect(() => bm25SearchTool([DOCS[0], DOCS[0]])).toThrow(/duplicate/);
  });

  it('entity picker finds typed entities by rules', async () => {
    const ents = findEntities('Alien was directed by Ridley Scott in London in 1979.');
    expect(ents.map((e) => `${e.type}:${e.text}`)).toEqual([
      'misc:Alien',
      'person:Ridley Scott',
      'location:London',
      'date:1979',
    ]);
    const ner = entityPickerTool();
    expect(await ner.call(DOCS[1].text, 'location')).toBe('South Shields');
    expect(await ner.call(DOCS[1].text, 'date')).toBe('1937');
    expect(await ner.call(DOCS[2].text, 'number')).toBe(75337);
    expect(await ner.call('He joined Acme Corp in May 2001.', 'org')).toBe('Acme Corp');
    expect(await ner.call('He joined Acme Corp in May 2001.', 'date')).toBe('May 2001');
    await expect(ner.call('nothing here', 'person')).rejects.toThrow(/no person/);
    await expect(ner.call('x', 'colour')).rejects.toThrow(/unknown entity type/);
    const gaz = entityPickerTool({ gazetteer: { person: ['Sigourney Weaver'] } });
    expect(await gaz.call('starring Sigourney Weaver', 'person')).toBe('Sigourney Weaver');
  });

  it('compose in a chain: search, pick, compute, and a user async tool', async () => {
    const wiki = bm25SearchTool(DOCS);
    const ner = entityPickerTool();
    const population = bm25SearchTool(DOCS);
    const age: Tool = {
      name: 'YearsSince',
      call: async (arg) => {
        await new Promise((r) => setTimeout(r, 5));
        return 2024 - Number(arg);
      },
    };
    const chain =
      'The director: [director of Alien -Wiki-> y1] [y1 -NER(person)-> y2]. ' +
      'Born: [y2 born -Wiki-> y3] [y3 -NER(date)-> y4], so [y4 -YearsSince-> y5]. ' +
      'Town: [y3 -NER(location)-> y6] [population of y6 -Pop-> y7] [y7 -NER(number)-> y8] [y8 / 1000 = y9]. ' +
      'The answer is y5.';
    const r = await reify(chain, { tools: [wiki, ner, age, { ...population, name: 'Pop' }] });
    expect(r.values).toMatchObject({
      y2: 'Ridley Scott',
      y4: 1937,
      y5: 87,
      y6: 'South Shields',
      y8: 75337,
      y9: 75.337,
    });
    expect(r.ok).toBe(true);
    expect(r.answer).toBe('87');
  });
});
