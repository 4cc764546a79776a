import { describe, expect, it } from 'vitest';
import { findLeaks, generateBios, generateSymbolic, reverseDoc, splitWords } from '../src/index.js';

describe('generateSymbolic', () => {
  const task = generateSymbolic({ pairs: 500, symbols: 100, seed: 3 });

  it('has distinct entities of length 1..3, a 50/50 split, and the spec formats', () => {
    const entities = task.pairs.flatMap((p) => [p.a.join(' '), p.b.join(' ')]);
    expect(new Set(entities).size).toBe(1000);
    for (const p of task.pairs) for (const e of [p.a, p.b]) expect(e.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...task.pairs.map((p) => Math.max(p.a.length, p.b.length)))).toBe(3);
    expect(task.pairs.filter((p) => p.split === 'A').length).toBe(250);
    expect(task.train.length).toBe(500 + 250);
    const p = task.pairs[0]!;
    expect(task.train[0]!.text).toBe([...p.a, 'r1', 'r2', ...p.b].join(' '));
    expect(task.test.filter((q) => q.direction === 'forward').length).toBe(500);
    expect(task.test.filter((q) => q.direction === 'reverse').length).toBe(250);
  });

  it('entity spans cover a and b, and entity reversal gives b r2 r1 a', () => {
    const p = task.pairs[1]!;
    const doc = task.train.find((d) => d.id === 'fact-1')!;
    const words = splitWords(doc.text).words;
    expect(doc.entities!.map(([s, e]) => words.slice(s, e).join(' '))).toEqual([
      p.a.join(' '),
      p.b.join(' '),
    ]);
    expect(reverseDoc(doc, 'entity').text).toBe([...p.b, 'r2', 'r1', ...p.a].join(' '));
  });

  it('is deterministic given the seed', () => {
    expect(generateSymbolic({ pairs: 500, seed: 3 }).train).toEqual(task.train);
    expect(generateSymbolic({ pairs: 500, seed: 4 }).train).not.toEqual(task.train);
  });

  it('no reverse test item reaches training in either direction; an injected one is caught', () => {
    const reverse = task.test.filter((q) => q.direction === 'reverse');
    expect(findLeaks(task.train, reverse)).toEqual([]);
    const q = reverse[7]!;
    // Injected in reversed form: the word reversal of "b r3 a" is found through the doc's reversed view.
    const leaked = [
      ...task.train,
      {
        id: 'bad',
        text: `${q.answer.split(' ').reverse().join(' ')} r3 ${q.prompt.split(' ').slice(0, -1).reverse().join(' ')}`,
      },
    ];
    const leaks = findLeaks(leaked, reverse);
    expect(leaks.some((l) => l.docId === 'bad' && l.item === 7)).toBe(true);
  });
});

describe('generateBios', () => {
  const task = generateBios({ people: 60, seed: 2 });

  it('unique names and birth dates, split 50/50, 2 bios of 6 sentences each', () => {
    const names = task.people.map((p) => `${p.first} ${p.middle} ${p.last}`);
    expect(new Set(names).size).toBe(60);
    expect(new Set(task.people.map((p) => p.birthDate.join(' '))).size).toBe(60);
    expect(task.people.filter((p) => p.split === 'test').length).toBe(30);
    const bios = task.train.filter((d) => String(d.id).startsWith('bio-'));
    expect(bios.length).toBe(120);
    for (const b of bios) expect(b.text.split(' . ').length).toBe(6);
    // QA: 8 per train person in training, 8 per test person in the test set (6 forward, 2 reverse).
    expect(task.train.length - 120).toBe(30 * 8);
    expect(task.test.filter((q) => q.direction === 'forward').length).toBe(180);
    expect(task.test.filter((q) => q.direction === 'reverse').length).toBe(60);
  });

  it('entity spans cover the name and each attribute; entity reversal keeps names whole', () => {
    for (const doc of task.train.slice(0, 20)) {
      const words = splitWords(doc.text).words;
      const spans = doc.entities!.map(([s, e]) => words.slice(s, e).join(' '));
      const person = task.people[Number(String(doc.id).split('-')[1])]!;
      const name = `${person.first} ${person.middle} ${person.last}`;
      expect(spans).toContain(name);
      if (String(doc.id).startsWith('bio-')) {
        expect(spans).toContain(person.birthDate.join(' '));
        expect(spans).toContain(person.university.join(' '));
        expect(spans).toContain(person.company.join(' '));
      }
      expect(` ${reverseDoc(doc, 'entity').text} `).toContain(` ${name} `);
      expect(` ${reverseDoc(doc, 'word').text} `).not.toContain(` ${name} `);
    }
  });

  it('reverse questions have unique answers', () => {
    const reverse = task.test.filter((q) => q.direction === 'reverse');
    const byPrompt = new Map<string, Set<string>>();
    for (const q of reverse) byPrompt.set(q.prompt, (byPrompt.get(q.prompt) ?? new Set()).add(q.answer));
    for (const answers of byPrompt.values()) expect(answers.size).toBe(1);
    expect(byPrompt.size).toBe(60);
  });

  it("no test person's QA reaches training in either direction; an injected one is caught", () => {
    expect(findLeaks(task.train, task.test)).toEqual([]);
    const q = task.test.find((x) => x.direction === 'reverse')!;
    const reversedQa = reverseDoc({ text: `${q.prompt} ${q.answer}` }, 'word').text;
    const leaks = findLeaks([...task.train, { id: 'bad', text: reversedQa }], task.test);
    expect(leaks.filter((l) => l.docId === 'bad').length).toBeGreaterThan(0);
  });
});
