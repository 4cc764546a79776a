/**
 * The in-place native AdamW step against @lab/core's composite AdamW: same
 * parameters and moments after several steps (per-parameter, named and flat
 * gradients, missing gradients, gradient scale, weight decay on some
 * parameters), and the cases it declines (an aliased parameter buffer).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdamW } from '../../core/src/train/adamw.js';
import {
  addonObject,
  expectClose,
  expectNoLeak,
  onOriginalKernels,
  rand,
  startAccelerated,
} from './helpers.js';

beforeAll(startAccelerated);
afterEach(() => {
  vi.restoreAllMocks();
});

const SHAPES = [[8, 6], [6], [3, 4, 2], [5]];

let uid = 0;
/** Fresh variables with the same seeded values each call (unique names; the initial tensor disposed, as Module does). */
function makeParams(): tf.Variable[] {
  uid++;
  return SHAPES.map((s, i) => {
    const init = rand(s, 100 + i);
    const v = tf.variable(init, true, `adamw-test-${uid}-p${i}`);
    init.dispose();
    return v;
  });
}

function gradsAt(step: number): tf.Tensor[] {
  return SHAPES.map((s, i) => rand(s, 1000 * step + i));
}

/** Runs `steps` updates; mode picks how gradients are handed over. */
function run(params: tf.Variable[], mode: 'list' | 'named' | 'flat' | 'missing', steps: number): AdamW {
  const opt = new AdamW(
    params.map((p) => [p.name, p] as const),
    { lr: 3e-3, weightDecay: 0.1, noDecayBelowRank: 2 },
  );
  for (let s = 1; s <= steps; s++) {
    const gs = gradsAt(s);
    if (mode === 'list') opt.applyGradients(gs, { gradScale: 0.5 });
    else if (mode === 'named') opt.applyGradients(Object.fromEntries(params.map((p, i) => [p.name, gs[i]!])));
    else if (mode === 'missing') opt.applyGradients(gs.map((g, i) => (i === 1 ? null : g)));
    else {
      const flat = opt.flattenGradients(gs);
      opt.applyGradients(flat);
      flat.dispose();
    }
    tf.dispose(gs);
  }
  return opt;
}

describe('native AdamW', () => {
  for (const mode of ['list', 'named', 'flat', 'missing'] as const) {
    it(`matches the composite over 4 steps (${mode} gradients)`, async () => {
      const ref = makeParams();
      const refOpt = onOriginalKernels(() => run(ref, mode, 4));
      const mine = makeParams();
      const spy = vi.spyOn(addonObject(), 'adamw');
      const opt = run(mine, mode, 4);
      expect(spy).toHaveBeenCalledTimes(4 * SHAPES.length);
      for (let i = 0; i < ref.length; i++)
        expectClose(await mine[i]!.data(), await ref[i]!.data(), 1e-7, 1e-6);
      const a = opt.stateDict();
      const b = refOpt.stateDict();
      // Same order of entries (step, then both moments per parameter); names differ by test run.
      const av = Object.values(a);
      const bv = Object.values(b);
      expect(av.length).toBe(bv.length);
      for (let j = 0; j < bv.length; j++) expectClose(await av[j]!.data(), await bv[j]!.data(), 1e-9, 1e-6);
      expect(opt.step).toBe(4);
      tf.dispose([...ref, ...mine, ...Object.values(a), ...Object.values(b)]);
      opt.dispose();
      refOpt.dispose();
    });
  }

  it('changes nothing else and leaks nothing', async () => {
    const params = makeParams();
    const opt = new AdamW(
      params.map((p) => [p.name, p] as const),
      { lr: 1e-3 },
    );
    const gs = gradsAt(1);
    await expectNoLeak(() => opt.applyGradients(gs));
    tf.dispose([...params, ...gs]);
    opt.dispose();
  });

  it('declines when a parameter buffer is shared (a kept clone must not change)', async () => {
    const params = makeParams();
    const opt = new AdamW(
      params.map((p) => [p.name, p] as const),
      { lr: 1e-2 },
    );
    const kept = tf.clone(params[0]!); // aliases the variable's buffer when the accelerator is on
    const before = Array.from(await kept.data());
    const spy = vi.spyOn(addonObject(), 'adamw');
    const gs = gradsAt(1);
    opt.applyGradients(gs);
    expect(spy).not.toHaveBeenCalled();
    expect(Array.from(await kept.data())).toEqual(before);
    expect(Array.from(await params[0]!.data())).not.toEqual(before);
    tf.dispose([...params, ...gs, kept]);
    opt.dispose();
  });
});
