import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatMLTemplate,
  type PreferencePair,
  plainChatTemplate,
  readPreferenceJsonl,
  readSftJsonl,
  type SftExample,
  toConversational,
  toStandard,
  writePreferenceJsonl,
  writeSftJsonl,
} from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-lm-formats-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('SFT and preference JSONL', () => {
  it('round-trips both forms and keeps extra fields', async () => {
    const sft: SftExample[] = [
      { prompt: 'Q: 2+2?', completion: ' 4', id: 'a', license: 'MIT' },
      {
        prompt: [{ role: 'user', content: 'hi' }],
        completion: [{ role: 'assistant', content: 'hello' }],
      },
    ];
    await writeSftJsonl(join(dir, 'sft.jsonl'), sft);
    expect(await readSftJsonl(join(dir, 'sft.jsonl'))).toEqual(sft);
    const lines = (await readFile(join(dir, 'sft.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ prompt: 'Q: 2+2?', completion: ' 4', id: 'a', license: 'MIT' });

    const pairs: PreferencePair[] = [{ prompt: 'p', chosen: 'good', rejected: 'bad', margin: 2 }];
    await writePreferenceJsonl(join(dir, 'pairs.jsonl'), pairs);
    expect(await readPreferenceJsonl(join(dir, 'pairs.jsonl'))).toEqual(pairs);
  });

  it('rejects mixed forms and missing keys, naming file and line', async () => {
    await expect(
      writeSftJsonl(join(dir, 'x.jsonl'), [
        { prompt: 'p', completion: [{ role: 'assistant', content: 'c' }] },
      ]),
    ).rejects.toThrow(/all be strings or all be message lists/);
    // (core writeJsonl reports it as JSONL_SCHEMA naming the line)
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, '{"prompt":"p","chosen":"c","rejected":"r"}\n\n{"prompt":"p","chosen":"c"}\n');
    const err = await readPreferenceJsonl(path).catch((e) => e);
    expect(err.code).toBe('JSONL_SCHEMA');
    expect(err.message).toContain('bad.jsonl:3');
    expect(err.context.line).toBe(3);
    await writeFile(path, '{"prompt":"p","chosen":"c","rejected":"r"}\n{oops\n');
    const broken = await readPreferenceJsonl(path).catch((e) => e);
    expect(broken.code).toBe('JSONL_PARSE');
    expect(broken.message).toContain('bad.jsonl:2');
  });

  it('converts between standard and conversational forms', () => {
    const conv = toConversational({ prompt: 'Q', chosen: 'A1', rejected: 'A2', id: 7 });
    expect(conv).toEqual({
      prompt: [{ role: 'user', content: 'Q' }],
      chosen: [{ role: 'assistant', content: 'A1' }],
      rejected: [{ role: 'assistant', content: 'A2' }],
      id: 7,
    });
    expect(toStandard(conv, plainChatTemplate)).toEqual({
      prompt: 'User: Q\nAssistant:',
      chosen: 'A1',
      rejected: 'A2',
      id: 7,
    });
    expect(toStandard(toConversational({ prompt: 'Q', completion: 'A' }), chatMLTemplate).prompt).toBe(
      '<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('templates refuse image parts', () => {
    expect(() =>
      plainChatTemplate.render(
        [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
        true,
      ),
    ).toThrow(/image/);
  });
});
