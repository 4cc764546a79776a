/**
 * A scripted stand-in for real chat models, speaking the package's default
 * (chat) templates: instructions are "Say the word W", a good answer is W.
 * The generator writes y_w and the worse-response reply with the markers; the
 * judge finds the answers in the MT-Bench layout and is right except on
 * samples its `noise` rule picks.
 */
import { type GenerateRequest, lastUserText, ScriptedModel } from '@lab/lm';
import { WORSE_MARKERS } from '../src/index.js';

export function scriptedGenerator(): ScriptedModel {
  return new ScriptedModel({
    id: 'scripted-generator',
    rule: (r) => {
      const text = lastUserText(r);
      const worse = /\[User Question\]\nSay the word (\w+)/.exec(text);
      if (text.includes(WORSE_MARKERS.question) && worse) {
        const w = `${worse[1]}x`;
        return `${WORSE_MARKERS.question}\nSay the word ${w}\n${WORSE_MARKERS.answerStart}\n${w}\n${WORSE_MARKERS.answerEnd}`;
      }
      const direct = /^Say the word (\w+)$/.exec(text);
      return direct ? direct[1]! : '';
    },
  });
}

function answers(r: GenerateRequest) {
  const text = lastUserText(r);
  const word = /\[User Question\]\nSay the word (\w+)/.exec(text)?.[1];
  const a = /\[The Start of Assistant A's Answer\]\n([\s\S]*?)\n\[The End of Assistant A's Answer\]/.exec(
    text,
  )?.[1];
  const b = /\[The Start of Assistant B's Answer\]\n([\s\S]*?)\n\[The End of Assistant B's Answer\]/.exec(
    text,
  )?.[1];
  return { word, a, b };
}

/** A judge that is wrong on samples where `wrong(index, request)` holds. */
export function scriptedJudge(
  id: string,
  wrong: (index: number, r: GenerateRequest) => boolean,
): ScriptedModel {
  return new ScriptedModel({
    id,
    rule: (r, i) => {
      const { word, a, b } = answers(r);
      if (word === undefined || a === undefined || b === undefined) return 'I cannot tell.';
      const right = a === word ? 'A' : 'B';
      const verdict = wrong(i, r) ? (right === 'A' ? 'B' : 'A') : right;
      return `Assistant A says "${a}", assistant B says "${b}"; the question asks for "${word}". [[${verdict}]]`;
    },
  });
}
