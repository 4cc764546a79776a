import { describe, expect, it } from 'vitest';
import { parseChain, reify, type Tool } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reify', () => {
  it('fills chained math calls exactly, in any order and side', async () => {
    const r = await reify('[y2 = y1 × 2] then [20 + 35 = y1]. The answer is y2.');
    expect(r.ok).toBe(true);
    expect(r.answer).toBe('110');
    expect(r.values).toEqual({ y1: 55, y2: 110 });
    expect(r.filled).toBe('[110 = 55 × 2] then [20 + 35 = 55]. The answer is 110.');
    expect(r.calls.map((c) => c.status)).toEqual(['ok', 'ok']);
  });

  it('keeps exact rationals and formats them', async () => {
    const r = await reify('[1 / 3 = y1] [y1 * 3 = y2] [0.1 + 0.2 = y3]. The answer is y2.');
    expect(r.answer).toBe('1');
    expect(r.exact.get('y1')!.toString()).toBe('1/3');
    expect(r.values.y3).toBe(0.3);
    expect(r.filled).toContain('[1 / 3 = 0.333333]');
  });

  it('solves a joint linear system written over several calls', async () => {
    const r = await reify('[y1 + y2 = 10] [y1 - y2 = 4] [y1 * y2 = y3]. The answer is y3.');
    expect(r.ok).toBe(true);
    expect(r.answer).toBe('21');
  });

  it('runs tools level by level with placeholders filled, numbers kept numeric', async () => {
    const seen: unknown[] = [];
    const double: Tool = {
      name: 'Double',
      call: async (arg) => {
        seen.push(arg);
        return (arg as number) * 2;
      },
    };
    const shout: Tool = {
      name: 'Shout',
      call: async (arg, option) => `${String(arg).toUpperCase()}${option ?? ''}`,
    };
    const r = await reify(
      '[2 + 3 = y1] [y1 -Double-> y2] [y2 + 1 = y3] [value y3 -Shout(!)-> y4]. The answer is y4.',
      {
        tools: [double, shout],
      },
    );
    expect(seen).toEqual([5]);
    expect(r.values).toMatchObject({ y1: 5, y2: 10, y3: 11, y4: 'VALUE 11!' });
    expect(r.answer).toBe('VALUE 11!');
    expect(r.calls.map((c) => c.level)).toEqual([0, 1, 2, 3]);
  });

  it('runs independent tool calls in parallel under the concurrency cap', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: Tool = {
      name: 'Slow',
      call: async (arg) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(30);
        inFlight--;
        return Number(arg) + 1;
      },
    };
    const chain = Array.from({ length: 8 }, (_, i) => `[${i} -Slow-> y${i + 1}]`).join(' ');
    const t0 = performance.now();
    const r = await reify(chain, { tools: [slow], concurrency: 3 });
    const ms = performance.now() - t0;
    expect(r.calls.every((c) => c.status === 'ok')).toBe(true);
    expect(peak).toBe(3);
    // ceil(8/3) = 3 waves of 30 ms at least; `peak` above shows the calls overlapped
    // (an upper wall-clock bound would only make the test flaky on a loaded machine).
    expect(ms).toBeGreaterThanOrEqual(85);
    for (const c of r.calls) expect(c.tEndMs! - c.tStartMs!).toBeGreaterThanOrEqual(25);
  });

  it('reports clear outcomes for every failure mode, never throwing', async () => {
    const boom: Tool = {
      name: 'Boom',
      call: async () => {
        throw new Error('tool exploded');
      },
    };
    const under = await reify('[y1 + y2 = 10]. The answer is y1.');
    expect(under.ok).toBe(false);
    expect(under.calls[0].status).toBe('underdetermined');
    expect(under.answer).toBeNull();

    const inc = await reify('[2 + 3 = y1] [y1 + 1 = 7]');
    expect(inc.calls[1].status).toBe('inconsistent');
    expect(inc.issues.map((i) => i.code)).toContain('inconsistent');

    // a math call may introduce several unknowns; alone they stay underdetermined
    const open = await reify('[y7 + 1 = y2]. The answer is y2.');
    expect(open.calls[0].status).toBe('underdetermined');
    const undef = await reify('[y7 -Boom-> y2]. The answer is y2.', { tools: [boom] });
    expect(undef.ok).toBe(false);
    expect(undef.calls[0].status).toBe('blocked');
    expect(undef.issues.map((i) => i.code)).toEqual(['undefined', 'blocked']);

    const cyc = await reify('[y2 -Boom-> y1] [y1 + 1 = y2]', { tools: [boom] });
    expect(cyc.calls.map((c) => c.status)).toEqual(['cycle', 'cycle']);

    const err = await reify('[x -Boom-> y1] [y1 + 1 = y2]', { tools: [boom] });
    expect(err.calls.map((c) => c.status)).toEqual(['error', 'underdetermined']);
    expect(err.calls[0].error).toBe('tool exploded');

    const missing = await reify('[x -Nope-> y1]');
    expect(missing.calls[0].status).toBe('unknown-tool');

    const text = await reify('[x -Echo-> y1] [y1 + 1 = y2]', {
      tools: [{ name: 'Echo', call: async (a) => String(a) }],
    });
    expect(text.calls[1]).toMatchObject({ status: 'error', error: 'y1 is text, not a number' });

    const div = await reify('[1 / 0 = y1]');
    expect(div.calls[0].status).toBe('error');

    const nl = await reify('[y1 * y1 = 4]');
    expect(nl.calls[0].status).toBe('nonlinear');
  });

  it('times out and aborts tools', async () => {
    const hang: Tool = { name: 'Hang', call: () => new Promise(() => {}) };
    const r = await reify('[x -Hang-> y1]', { tools: [hang], toolTimeoutMs: 20 });
    expect(r.calls[0]).toMatchObject({ status: 'error', error: 'timed out after 20 ms' });
    const ac = new AbortController();
    const p = reify('[x -Hang-> y1]', { tools: [hang], signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 10);
    expect((await p).calls[0]).toMatchObject({ status: 'error', error: 'stop' });
  });

  it('accepts a parsed chain and FUNC tool calls with typed args', async () => {
    const join: Tool = { name: 'join', call: async (_arg, _o, _s, ctx) => (ctx?.args ?? []).join('|') };
    const parsed = parseChain('[FUNC add(1,250.5, 2) = y1] [FUNC join("a, b", y1, 3) = y2]');
    const r = await reify(parsed, { tools: [join] });
    // FUNC arguments split at every top-level comma: 1,250.5 is two arguments there (spec §2.1)
    expect(r.values).toMatchObject({ y1: 253.5, y2: 'a, b|253.5|3' });
  });
});
