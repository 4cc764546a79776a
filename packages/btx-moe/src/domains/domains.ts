/**
 * The three synthetic domains of the BTX reproduction (spec §4) and their
 * mixture: arithmetic (math), Dyck-3 programs (code), and facts about 400
 * fictional entities (knowledge). Every generator is seeded. Documents are
 * split into train and held-out by a hash of their text (1 in 8 held out),
 * so no held-out document occurs in training; arithmetic is split by the
 * hash of each line, because its exact-match metric holds out single lines.
 */
import { Rng } from '@lab/core';

export const DOMAINS = ['arith', 'code', 'wiki'] as const;
export type Domain = (typeof DOMAINS)[number];
export type Split = 'train' | 'heldout';

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The split a document belongs to. */
export function splitOf(doc: string): Split {
  return hash32(doc) % 8 === 0 ? 'heldout' : 'train';
}

// ---- arith ----

export interface ArithProblem {
  /** `a op b =` */
  prompt: string;
  /** c, with a leading `-` when negative. */
  answer: string;
}

function arithProblem(rng: Rng): ArithProblem {
  const op = ['+', '+', '-', '-', '*'][rng.nextInt(5)]!;
  const max = op === '*' ? 99 : 999;
  const a = rng.nextInt(max + 1);
  const b = rng.nextInt(max + 1);
  const c = op === '+' ? a + b : op === '-' ? a - b : a * b;
  return { prompt: `${a}${op}${b}=`, answer: String(c) };
}

/**
 * An arithmetic document of 3-8 lines, every line of the given split.
 * The exact-match metric holds out single lines (by the hash of the line),
 * so a document-level hash alone would let held-out lines into training
 * documents; lines of the other split are redrawn instead.
 */
function arithDoc(rng: Rng, split: Split): string {
  const lines = 3 + rng.nextInt(6);
  let s = '';
  for (let i = 0; i < lines; i++) {
    let line: string;
    do {
      const p = arithProblem(rng);
      line = `${p.prompt}${p.answer};\n`;
    } while (splitOf(line) !== split);
    s += line;
  }
  return s;
}

/** Held-out lines for the exact-match metric (a line is held out by its hash). */
export function arithHeldoutProblems(n: number, seed: number): ArithProblem[] {
  const rng = new Rng(`arith-eval-${seed}`);
  const out: ArithProblem[] = [];
  const seen = new Set<string>();
  while (out.length < n) {
    const p = arithProblem(rng);
    const line = `${p.prompt}${p.answer};\n`;
    if (splitOf(line) !== 'heldout' || seen.has(line)) continue;
    seen.add(line);
    out.push(p);
  }
  return out;
}

// ---- code (Dyck-3) ----

function dyck(rng: Rng, depth: number): string {
  const items = 1 + rng.nextInt(3);
  const parts: string[] = [];
  for (let i = 0; i < items; i++) {
    const r = rng.nextFloat();
    if (depth >= 8 || r < 0.4) {
      const len = 1 + rng.nextInt(3);
      let id = '';
      for (let j = 0; j < len; j++) id += 'abcdefgh'[rng.nextInt(8)];
      parts.push(id);
    } else {
      const [open, close] = r < 0.6 ? ['(', ')'] : r < 0.8 ? ['[', ']'] : ['{', '}'];
      parts.push(`${open}${dyck(rng, depth + 1)}${close}`);
    }
  }
  let s = parts[0]!;
  for (let i = 1; i < parts.length; i++) s += (rng.nextInt(2) === 0 ? ',' : ';') + parts[i];
  return s;
}

function codeDoc(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 2; i++) s += `${dyck(rng, 0)}\n`;
  return s;
}

export const CLOSING = new Set([')', ']', '}']);

// ---- wiki ----

const TYPES = [
  'river',
  'city',
  'mountain',
  'lake',
  'forest',
  'village',
  'island',
  'valley',
  'castle',
  'temple',
  'desert',
  'harbor',
  'bridge',
  'tower',
  'market',
  'school',
  'garden',
  'mine',
  'fort',
  'canal',
];
const COLOURS = [
  'red',
  'blue',
  'green',
  'amber',
  'violet',
  'grey',
  'white',
  'black',
  'gold',
  'teal',
  'pink',
  'brown',
];
const SYLLABLES = [
  'zor',
  'vin',
  'tel',
  'mar',
  'kal',
  'dor',
  'ris',
  'pen',
  'qua',
  'lun',
  'bex',
  'tor',
  'sil',
  'gan',
  'fen',
  'hul',
  'mir',
  'oth',
  'yra',
  'cle',
  'nob',
  'wes',
  'jak',
  'ump',
];

export interface Entity {
  name: string;
  type: string;
  country: string;
  year: number;
  colour: string;
}

/** The fixed world: 400 entities and 30 countries (the same in every process). */
export function wikiWorld(): { entities: Entity[]; countries: string[] } {
  const rng = new Rng('btx-wiki-world');
  const names = new Set<string>();
  const word = () => SYLLABLES[rng.nextInt(SYLLABLES.length)]! + SYLLABLES[rng.nextInt(SYLLABLES.length)]!;
  while (names.size < 430) names.add(word());
  const all = [...names];
  const countries = all.slice(0, 30);
  const entities = all.slice(30).map((name) => ({
    name,
    type: TYPES[rng.nextInt(TYPES.length)]!,
    country: countries[rng.nextInt(countries.length)]!,
    year: 1000 + rng.nextInt(1021),
    colour: COLOURS[rng.nextInt(COLOURS.length)]!,
  }));
  return { entities, countries };
}

export type Attribute = 'type' | 'country' | 'year' | 'colour';
export const ATTRIBUTES: Attribute[] = ['type', 'country', 'year', 'colour'];

/** Six templates; a fact is stated by one of them. The first per attribute is also its probe. */
const TEMPLATES: { attr: Attribute; text: (e: Entity) => [string, string] }[] = [
  { attr: 'type', text: (e) => [`${e.name} is a `, `${e.type}`] },
  { attr: 'country', text: (e) => [`${e.name} lies in `, `${e.country}`] },
  { attr: 'year', text: (e) => [`${e.name} was founded in `, `${e.year}`] },
  { attr: 'colour', text: (e) => [`the colour of ${e.name} is `, `${e.colour}`] },
  { attr: 'country', text: (e) => [`${e.name} is a ${e.type} in `, `${e.country}`] },
  { attr: 'year', text: (e) => [`in ${e.year} ${e.name} was `, 'founded'] },
];

function wikiDoc(rng: Rng, entities: Entity[]): string {
  const e = entities[rng.nextInt(entities.length)]!;
  const facts = 3 + rng.nextInt(4);
  let s = '';
  for (let i = 0; i < facts; i++) {
    const [head, tail] = TEMPLATES[rng.nextInt(TEMPLATES.length)]!.text(e);
    s += `${head}${tail}.\n`;
  }
  return s;
}

/** One probe per (entity, attribute): the prompt and the gold completion (ended by `.`). */
export function wikiProbes(n: number, seed: number): { prompt: string; answer: string; attr: Attribute }[] {
  const { entities } = wikiWorld();
  const rng = new Rng(`wiki-probe-${seed}`);
  const out: { prompt: string; answer: string; attr: Attribute }[] = [];
  for (let i = 0; i < n; i++) {
    const e = entities[rng.nextInt(entities.length)]!;
    const attr = ATTRIBUTES[i % ATTRIBUTES.length]!;
    const t = TEMPLATES.find((x) => x.attr === attr)!;
    const [prompt, answer] = t.text(e);
    out.push({ prompt, answer, attr });
  }
  return out;
}

// ---- streams ----

export type DomainName = Domain | 'mixed';

/**
 * An endless stream of documents of one split. `mixed` documents are 32
 * character chunks drawn from random domains, so the domain changes inside
 * a sequence (what a sequence-level BTM posterior cannot follow).
 * @example
 * const docs = documents('arith', 'train', 1); docs.next().value; // '12+7=19;\n...'
 */
export function* documents(domain: DomainName, split: Split, seed: number): Generator<string> {
  const rng = new Rng(`${domain}-${split}-${seed}`);
  const { entities } = wikiWorld();
  const one = (d: Domain): string =>
    d === 'arith' ? arithDoc(rng, split) : d === 'code' ? codeDoc(rng) : wikiDoc(rng, entities);
  // Arithmetic documents are split line by line (see arithDoc); the others by their whole text.
  const inSplit = (d: Domain, doc: string): boolean => d === 'arith' || splitOf(doc) === split;
  if (domain !== 'mixed') {
    for (;;) {
      const doc = one(domain);
      if (inSplit(domain, doc)) yield doc;
    }
  }
  const pools = new Map<Domain, string>(DOMAINS.map((d) => [d, '']));
  for (;;) {
    let doc = '';
    for (let i = 0; i < 4; i++) {
      const d = DOMAINS[rng.nextInt(3)]!;
      let pool = pools.get(d)!;
      while (pool.length < 32) {
        const next = one(d);
        if (inSplit(d, next)) pool += next;
      }
      doc += pool.slice(0, 32);
      pools.set(d, pool.slice(32));
    }
    yield doc;
  }
}
