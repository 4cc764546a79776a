/**
 * Mini biographies in the style of bioS (spec §4.2; Allen-Zhu & Li,
 * arXiv:2309.14316). Every field is a procedural pseudo-word list with a
 * quarter (by default) of the original counts, so nothing third-party ships.
 * Each person has a unique full name (first middle last) and a unique birth
 * date; bios state six attributes with one of four templates each, in a
 * permuted order, twice per person. Training people contribute bios and QA,
 * test people bios only; their QA is the test set, in both directions.
 */
import { LabError, Rng } from '@lab/core';
import { z } from 'zod';
import type { Doc } from '../reverse-doc.js';
import { composeDoc, type Part } from './compose.js';
import type { QAItem, TaskData } from './types.js';

export const BiosConfigSchema = z.strictObject({
  people: z.number().int().min(2).default(200),
  /** Fraction of the original list sizes (400 first, 400 middle, 1000 last names, 200 cities, 300 universities, 100 majors, 263 companies). */
  fieldScale: z.number().positive().max(1).default(0.25),
  /** Bio variants per person (templates and sentence order resampled). */
  biosPerPerson: z.number().int().min(1).default(2),
  seed: z.union([z.number().int(), z.string()]).default(0),
});
export type BiosConfig = z.infer<typeof BiosConfigSchema>;

export interface Person {
  first: string;
  middle: string;
  last: string;
  /** `[day, month name, year]`. */
  birthDate: [string, string, string];
  birthCity: string;
  university: string[];
  major: string;
  company: string[];
  companyCity: string;
  split: 'train' | 'test';
}

export interface BiosTask extends TaskData {
  people: Person[];
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const ONSETS = [
  'b',
  'd',
  'f',
  'g',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'z',
  'br',
  'dr',
  'kr',
  'st',
  'th',
  'sh',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou', 'ea'];
const CODAS = ['', '', 'n', 'r', 'l', 's', 'x', 'th'];

/** `n` distinct capitalised pseudo-words of 2-3 syllables, none in `used` (which is updated). */
function pseudoWords(rng: Rng, n: number, used: Set<string>): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const syllables = rng.intBetween(2, 3);
    let w = '';
    for (let s = 0; s < syllables; s++) w += rng.choice(ONSETS) + rng.choice(VOWELS);
    w += rng.choice(CODAS);
    w = w[0]!.toUpperCase() + w.slice(1);
    if (!used.has(w)) {
      used.add(w);
      out.push(w);
    }
  }
  return out;
}

type Fields = Record<'name' | 'date' | 'city' | 'uni' | 'major' | 'company' | 'hq', readonly string[]>;

// Four templates per attribute; `{X}` marks an entity slot. Every sentence names the person in full.
const TEMPLATES: Record<string, string[]> = {
  birthDate: [
    '{name} was born on {date} .',
    '{name} came into the world on {date} .',
    '{name} has the birth date {date} .',
    'The birth date of {name} is {date} .',
  ],
  birthCity: [
    '{name} was born in {city} .',
    '{name} spent the early years in {city} .',
    '{name} has {city} as the birth city .',
    'The birthplace of {name} is {city} .',
  ],
  university: [
    '{name} studied at {uni} .',
    '{name} graduated from {uni} .',
    '{name} received an education at {uni} .',
    'The alma mater of {name} is {uni} .',
  ],
  major: [
    '{name} majored in {major} .',
    '{name} focused on {major} in college .',
    '{name} completed a degree in {major} .',
    'The field of study of {name} was {major} .',
  ],
  company: [
    '{name} works for {company} .',
    '{name} is employed by {company} .',
    '{name} has a job at {company} .',
    'The employer of {name} is {company} .',
  ],
  companyCity: [
    '{name} works in {hq} .',
    '{name} commutes to {hq} for work .',
    '{name} has an office in {hq} .',
    'The workplace of {name} is in {hq} .',
  ],
};

/** Forward questions (attribute from the name) and the two reverse ones (name from attributes). */
const FORWARD_QA: Array<[string, keyof Fields]> = [
  ['What is the birth date of {name} ?', 'date'],
  ['Where was {name} born ?', 'city'],
  ['Which university did {name} attend ?', 'uni'],
  ['What did {name} study ?', 'major'],
  ['Which company does {name} work for ?', 'company'],
  ['Where does {name} work ?', 'hq'],
];
const REVERSE_QA = ['Who was born on {date} ?', 'Who studied {major} at {uni} and works for {company} ?'];

function fill(template: string, fields: Fields): Part[] {
  const parts: Part[] = [];
  for (const piece of template.split(/(\{[a-z]+\})/)) {
    const m = /^\{([a-z]+)\}$/.exec(piece);
    if (m) parts.push({ entity: fields[m[1] as keyof Fields] });
    else if (piece.trim()) parts.push(piece.trim());
  }
  return parts;
}

function fieldsOf(p: Person): Fields {
  return {
    name: [p.first, p.middle, p.last],
    date: p.birthDate,
    city: [p.birthCity],
    uni: p.university,
    major: [p.major],
    company: p.company,
    hq: [p.companyCity],
  };
}

/**
 * Generates the biography task.
 *
 * @example
 * const task = generateBios({ people: 60, seed: 1 });
 * task.train.length // 60 people × 2 bios + 30 train people × 8 QA
 */
export function generateBios(config: z.input<typeof BiosConfigSchema> = {}): BiosTask {
  const c = BiosConfigSchema.parse(config);
  const rng = new Rng(c.seed).fork('bios');
  const size = (n: number) => Math.max(2, Math.round(n * c.fieldScale));
  const used = new Set<string>();
  const firsts = pseudoWords(rng, size(400), used);
  const middles = pseudoWords(rng, size(400), used);
  const lasts = pseudoWords(rng, size(1000), used);
  const cities = pseudoWords(rng, size(200), used);
  const universities = pseudoWords(rng, size(300), used).map((w) => [w, 'University']);
  const majors = pseudoWords(rng, size(100), used).map((w) => w.toLowerCase());
  const companies = pseudoWords(rng, size(263), used).map((w) => [w, 'Group']);
  const hqs = companies.map(() => rng.choice(cities));
  if (c.people > (firsts.length * middles.length * lasts.length) / 4) {
    throw new LabError('GENERATOR_CONFIG', `bios: ${c.people} people is too many for the name lists`, {
      ...c,
    });
  }
  const names = new Set<string>();
  const dates = new Set<string>();
  const triples = new Set<string>();
  const people: Person[] = [];
  for (let guard = 0; people.length < c.people; guard++) {
    if (guard > c.people * 1000) {
      throw new LabError('GENERATOR_CONFIG', 'bios: could not draw enough unique people', {
        people: c.people,
      });
    }
    const first = rng.choice(firsts);
    const middle = rng.choice(middles);
    const last = rng.choice(lasts);
    const birthDate: Person['birthDate'] = [
      String(rng.intBetween(1, 28)),
      rng.choice(MONTHS),
      String(rng.intBetween(1900, 2099)),
    ];
    const ci = rng.nextInt(companies.length);
    const person: Person = {
      first,
      middle,
      last,
      birthDate,
      birthCity: rng.choice(cities),
      university: rng.choice(universities),
      major: rng.choice(majors),
      company: companies[ci]!,
      companyCity: hqs[ci]!,
      split: 'train',
    };
    // Rejection sampling keeps every reverse question's answer unique.
    const name = `${first} ${middle} ${last}`;
    const date = birthDate.join(' ');
    const triple = `${person.major}|${person.university.join(' ')}|${person.company.join(' ')}`;
    if (names.has(name) || dates.has(date) || triples.has(triple)) continue;
    names.add(name);
    dates.add(date);
    triples.add(triple);
    people.push(person);
  }
  const order = rng.shuffle(people.map((_, i) => i));
  order.forEach((idx, j) => {
    people[idx]!.split = j < Math.floor(c.people / 2) ? 'train' : 'test';
  });

  const train: Doc[] = [];
  const test: QAItem[] = [];
  const attributes = Object.keys(TEMPLATES);
  people.forEach((p, i) => {
    const fields = fieldsOf(p);
    for (let v = 0; v < c.biosPerPerson; v++) {
      const parts: Part[] = [];
      for (const attr of rng.shuffle(attributes)) parts.push(...fill(rng.choice(TEMPLATES[attr]!), fields));
      train.push(composeDoc(`bio-${i}-${v}`, parts));
    }
    const name = fields.name.join(' ');
    const qa: Array<{
      q: string;
      answer: readonly string[];
      direction: 'forward' | 'reverse';
      group: string;
    }> = [
      ...FORWARD_QA.map(([q, key]) => ({
        q,
        answer: fields[key],
        direction: 'forward' as const,
        group: key,
      })),
      ...REVERSE_QA.map((q, k) => ({
        q,
        answer: fields.name,
        direction: 'reverse' as const,
        group: k === 0 ? 'date→name' : 'triple→name',
      })),
    ];
    qa.forEach(({ q, answer, direction, group }, k) => {
      const question = composeDoc('', fill(q, fields));
      if (p.split === 'train') {
        train.push(composeDoc(`qa-${i}-${k}`, [...fill(q, fields), { entity: answer }]));
      } else {
        test.push({
          prompt: question.text,
          answer: answer.join(' '),
          direction,
          group,
          ...(direction === 'reverse' ? { parts: { first: p.first, last: p.last } } : {}),
        });
      }
    });
    void name;
  });
  const vocabulary = new Set<string>();
  for (const d of train) for (const w of d.text.split(' ')) vocabulary.add(w);
  for (const q of test) for (const w of `${q.prompt} ${q.answer}`.split(' ')) vocabulary.add(w);
  return { train, test, vocabulary: [...vocabulary].sort(), people };
}
