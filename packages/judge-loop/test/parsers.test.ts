import { describe, expect, it } from 'vitest';
import {
  parseCategory,
  parseJudgmentVerdict,
  parseWorseResponse,
  parseWorseResponseDetailed,
  WORSE_MARKERS,
} from '../src/index.js';

const Q = WORSE_MARKERS.question;
const S = WORSE_MARKERS.answerStart;
const E = WORSE_MARKERS.answerEnd;

describe('parseWorseResponse', () => {
  it('reads x′ and y_l between the markers', () => {
    expect(parseWorseResponse(`${Q}\nName a city in Spain.\n${S}\nMadrid is one.\n${E}`)).toEqual({
      modifiedPrompt: 'Name a city in Spain.',
      response: 'Madrid is one.',
    });
  });

  it('keeps multi-line answers, brackets and markdown inside the answer intact', () => {
    const answer = 'Step 1: [1] cite\n```js\nconst a = [[1]];\n```\n**Done**';
    expect(parseWorseResponse(`${Q}\nWrite code.\n${S}\n${answer}\n${E}\ntrailing chatter`)?.response).toBe(
      answer,
    );
  });

  it('tolerates case, CRLF, extra spaces, curly apostrophes and emphasis around markers', () => {
    const text =
      '**[ user question   modified ]**\r\nWhat is 2+3?\r\n' +
      '[The Start of Assistant’s answer to the modified instruction]:\r\n5\r\n' +
      "[THE END OF ASSISTANT'S ANSWER TO THE MODIFIED INSTRUCTION]";
    expect(parseWorseResponse(text)).toEqual({ modifiedPrompt: 'What is 2+3?', response: '5' });
  });

  it('skips an echo of the format template and reads the real reply after it', () => {
    const text =
      `Sure. The format is ${Q} then ${S} and ${E}.\n` + `${Q}\nList two fruits.\n${S}\nApple, pear.\n${E}`;
    expect(parseWorseResponse(text)).toEqual({
      modifiedPrompt: 'List two fruits.',
      response: 'Apple, pear.',
    });
  });

  it('drops replies with a missing marker or an empty field, saying why', () => {
    expect(parseWorseResponseDetailed('no markers at all')).toEqual({
      ok: false,
      issue: 'missing-question-marker',
    });
    expect(parseWorseResponseDetailed(`${Q}\nx\nanswer without markers`)).toEqual({
      ok: false,
      issue: 'missing-answer-start',
    });
    expect(parseWorseResponseDetailed(`${Q}\nx\n${S}\ncut off mid-answer`)).toEqual({
      ok: false,
      issue: 'missing-answer-end',
    });
    expect(parseWorseResponseDetailed(`${Q}\nx\n${S}\n  \n${E}`)).toEqual({
      ok: false,
      issue: 'empty-response',
    });
    expect(parseWorseResponseDetailed(`${Q}\n\n${S}\ny\n${E}`)).toEqual({
      ok: false,
      issue: 'empty-modified-prompt',
    });
    // The end marker before the start marker does not count.
    expect(parseWorseResponse(`${Q}\nx\n${E}\n${S}\ny`)).toBeNull();
  });

  it('does not take a start marker that precedes the question marker', () => {
    expect(parseWorseResponse(`${S}\nold\n${E}\n${Q}\nnew question\n`)).toBeNull();
  });
});

describe('parseJudgmentVerdict (lm parser, record form)', () => {
  it('maps markers and rejects hedges', () => {
    expect(parseJudgmentVerdict('A is right. [[A]]')).toBe('A');
    expect(parseJudgmentVerdict('[[B]] ... so [[B]]')).toBe('B');
    expect(parseJudgmentVerdict('even [[C]]')).toBe('tie');
    expect(parseJudgmentVerdict('Output "[[A]]" or "[[B]]". I pick [[A]]')).toBeNull();
    expect(parseJudgmentVerdict('A is better')).toBeNull();
    expect(parseJudgmentVerdict('[A]')).toBeNull();
  });
});

describe('parseCategory', () => {
  const cats = ['reasoning', 'coding', 'creative writing'];
  it('takes the last valid Category: line, ignoring case and emphasis', () => {
    expect(parseCategory('Category: coding\nOn reflection... Category: **Reasoning**', cats)).toBe(
      'reasoning',
    );
    expect(parseCategory('category: "Creative Writing".', cats)).toBe('creative writing');
    expect(parseCategory('Category: <name>\nCategory: coding', cats)).toBe('coding');
  });
  it('accepts a bare category name and rejects anything else', () => {
    expect(parseCategory('  Coding \n', cats)).toBe('coding');
    expect(parseCategory('Category: math', cats)).toBeNull();
    expect(parseCategory('I think it is reasoning', cats)).toBeNull();
  });
});
