/**
 * A rule-based entity picker as a `Tool` (the paper collapses SpaCy NER to a
 * few types; this is a dependency-free stand-in): `[y1 -NER(location)-> y2]`
 * returns the first entity of that type in the text. A user gazetteer is
 * checked first; then patterns and cue words. Deterministic and explainable,
 * not a statistical tagger.
 */
import type { Tool } from './types.js';

/** The collapsed entity types. */
export const ENTITY_TYPES = ['person', 'location', 'organization', 'date', 'number', 'misc'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

const CAP_SEQ = "[A-Z][\\p{L}'’.-]*(?:\\s+(?:of|the|de|van|von|da|del|and|&)?\\s*[A-Z][\\p{L}'’.-]*)*";
const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';
const ORG_SUFFIX =
  /\b(?:Inc|Corp|Corporation|Company|Co|Ltd|LLC|University|College|Institute|Studios?|Records|Club|FC|Party|Bank|Association|Council|Agency|Group|Foundation|Society|Museum|Academy)\b\.?$/;
const ORG_PREFIX = /^(?:University|Bank|Museum|Institute|Academy) of\b/;
const PERSON_CUES =
  /\b(?:by|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Sir|President|King|Queen|actor|actress|director|singer|born to|son of|daughter of|wife of|husband of)\s+$/;
const LOCATION_CUES =
  /\b(?:in|at|from|near|to|born in|capital of|located in|city of|town of|north of|south of|east of|west of)\s+$/i;

/** One entity found in text. */
export interface FoundEntity {
  type: EntityType;
  text: string;
  start: number;
}

function normalizeType(option: string | undefined): EntityType {
  const t = (option ?? 'misc').trim().toLowerCase();
  const aliases: Record<string, EntityType> = {
    per: 'person',
    people: 'person',
    loc: 'location',
    gpe: 'location',
    place: 'location',
    org: 'organization',
    organisation: 'organization',
    year: 'date',
    time: 'date',
    num: 'number',
    quantity: 'number',
    cardinal: 'number',
  };
  const out = aliases[t] ?? t;
  if (!(ENTITY_TYPES as readonly string[]).includes(out)) {
    throw new Error(`unknown entity type "${option}" (expected one of ${ENTITY_TYPES.join(', ')})`);
  }
  return out as EntityType;
}

/**
 * Finds entities of every type, in text order.
 *
 * @example
 * findEntities('Alien was directed by Ridley Scott in London in 1979.')
 *   .map((e) => `${e.type}:${e.text}`); // ['misc:Alien', 'person:Ridley Scott', 'location:London', 'date:1979']
 */
export function findEntities(
  text: string,
  gazetteer: Partial<Record<EntityType, readonly string[]>> = {},
): FoundEntity[] {
  const out: FoundEntity[] = [];
  const taken: [number, number][] = [];
  const free = (a: number, b: number) => taken.every(([x, y]) => b <= x || a >= y);
  const add = (type: EntityType, s: string, start: number) => {
    if (!free(start, start + s.length)) return;
    taken.push([start, start + s.length]);
    out.push({ type, text: s, start });
  };
  for (const type of ENTITY_TYPES) {
    for (const name of [...(gazetteer[type] ?? [])].sort((a, b) => b.length - a.length)) {
      let i = text.indexOf(name);
      while (i >= 0) {
        add(type, name, i);
        i = text.indexOf(name, i + name.length);
      }
    }
  }
  for (const m of text.matchAll(
    new RegExp(
      `\\b(?:(?:${MONTHS})\\s+\\d{1,2},?\\s+\\d{4}|\\d{1,2}\\s+(?:${MONTHS})\\s+\\d{4}|(?:${MONTHS})\\s+\\d{4}|(?:1[0-9]|20)\\d{2})\\b`,
      'g',
    ),
  )) {
    add('date', m[0], m.index);
  }
  for (const m of text.matchAll(/-?\d[\d,]*(?:\.\d+)?/g)) add('number', m[0], m.index);
  for (const m of text.matchAll(new RegExp(CAP_SEQ, 'gu'))) {
    let s = m[0].replace(/[.,]+$/, '');
    let start = m.index;
    const before = text.slice(0, start);
    // A capitalised sentence opener ("The", "In") is not an entity by itself.
    const opener =
      /^(?:The|A|An|In|At|On|He|She|It|They|This|That|His|Her|Its|Their|When|After|Before|Who|What|Which)\b\s*/.exec(
        s,
      );
    if (opener && (before.trim() === '' || /[.!?]\s*$/.test(before))) {
      s = s.slice(opener[0].length);
      start += opener[0].length;
    }
    if (s === '' || /^(?:of|the|and)$/i.test(s)) continue;
    const ctx = text.slice(0, start);
    let type: EntityType = 'misc';
    if (ORG_SUFFIX.test(s) || ORG_PREFIX.test(s)) type = 'organization';
    else if (PERSON_CUES.test(ctx)) type = 'person';
    else if (LOCATION_CUES.test(ctx)) type = 'location';
    else if (
      /^[A-Z][a-z]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-z]+$/.test(s) &&
      !/^(?:The|New|San|Los|North|South|East|West)\b/.test(s)
    ) {
      type = 'person';
    }
    add(type, s, start);
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Creates the entity picker (default name `NER`): returns the first entity
 * of the option's type; `number` entities come back as numbers.
 *
 * @example
 * const ner = entityPickerTool();
 * await ner.call('Ridley Scott was born in South Shields, England.', 'location'); // 'South Shields'
 */
export function entityPickerTool(
  opts: { name?: string; gazetteer?: Partial<Record<EntityType, readonly string[]>> } = {},
): Tool & { find: typeof findEntities } {
  return {
    name: opts.name ?? 'NER',
    description: `pick the first entity of a type (${ENTITY_TYPES.join(', ')})`,
    find: findEntities,
    async call(arg, option) {
      const type = normalizeType(option);
      const text = String(arg);
      const hit = findEntities(text, opts.gazetteer).find((e) => e.type === type);
      if (!hit) throw new Error(`no ${type} entity in "${text.slice(0, 80)}"`);
      return type === 'number' ? Number(hit.text.replace(/,/g, '')) : hit.text;
    },
  };
}
