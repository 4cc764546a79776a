import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type FeedForward,
  type FeedForwardOutput,
  initBackend,
  LabError,
  loadCheckpoint,
  loadModel,
  Module,
  readSafetensors,
  saveCheckpoint,
  saveModel,
  TransformerLM,
  VocabTokenizer,
} from '../../src/index.js';

const ToyConfigSchema = z.strictObject({ dim: z.number().int().positive(), name: z.string().default('toy') });

class Toy extends Module {
  constructor(readonly config: z.output<typeof ToyConfigSchema>) {
    super();
    this.addParameter('w', tf.randomNormal([config.dim, 2], 0, 1, 'float32', 1));
    this.addParameter('b', tf.fill([2], 0.5));
  }
}

/** A plug-in feed-forward (elementwise scale), standing in for an MoE from another package. */
class ScaleFeedForward extends Module implements FeedForward {
  readonly kind = 'scale';
  private readonly w: tf.Variable;
  constructor(dModel: number, seed: number) {
    super();
    this.w = this.addParameter('w', tf.randomNormal([dModel], 1, 0.1, 'float32', seed));
  }
  forward(x: tf.Tensor3D): FeedForwardOutput {
    return { output: tf.mul(x, this.w) as tf.Tensor3D };
  }
}

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('checkpoints', () => {
  let root: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    root = mkdtempSync(join(tmpdir(), 'lab-ckpt-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('saves and loads config, weights, tokenizer and metadata', async () => {
    const toy = new Toy({ dim: 3, name: 'a' });
    const tokenizer = VocabTokenizer.fromCorpus(['a b c'], { level: 'word' });
    const dir = join(root, 'generic');
    await saveCheckpoint(dir, {
      config: toy.config,
      stateDict: toy.stateDict(),
      tokenizer,
      metadata: { step: '5' },
    });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ dim: 3, name: 'a' });
    const before = tf.memory().numTensors;
    const ckpt = await loadCheckpoint(dir, ToyConfigSchema);
    expect(ckpt.config).toEqual({ dim: 3, name: 'a' });
    expect(ckpt.metadata).toEqual({ step: '5' });
    expect(ckpt.tokenizer!.encode('c a')).toEqual(tokenizer.encode('c a'));
    const copy = new Toy(ckpt.config);
    copy.loadStateDict(ckpt.stateDict);
    for (const [k, v] of Object.entries(toy.stateDict()))
      expect(values(copy.stateDict()[k]!)).toEqual(values(v));
    tf.dispose(Object.values(ckpt.stateDict));
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
    toy.dispose();
  });

  it('names the file and the field on bad or missing parts', async () => {
    const toy = new Toy({ dim: 2, name: 't' });
    const dir = join(root, 'errors');
    await saveCheckpoint(dir, { config: toy.config, stateDict: toy.stateDict() });
    await expect(loadCheckpoint(join(root, 'nowhere'), ToyConfigSchema)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
    writeFileSync(join(dir, 'config.json'), '{"dim": -1, "extra": true}');
    const err = await loadCheckpoint(dir, ToyConfigSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('CHECKPOINT_CONFIG');
    expect((err as LabError).context.file).toBe(join(dir, 'config.json'));
    expect((err as LabError).message).toContain('at dim');
    expect((err as LabError).message).toContain('extra');
    writeFileSync(join(dir, 'config.json'), '{"dim": 2,');
    await expect(loadCheckpoint(dir, ToyConfigSchema)).rejects.toMatchObject({
      code: 'CHECKPOINT_CONFIG',
      message: expect.stringContaining('not valid JSON'),
    });
    writeFileSync(join(dir, 'config.json'), '{"dim": 2}');
    writeFileSync(join(dir, 'tokenizer.json'), '{"kind": "vocab"}');
    await expect(loadCheckpoint(dir, ToyConfigSchema)).rejects.toMatchObject({
      code: 'TOKENIZER_JSON',
      context: expect.objectContaining({ file: join(dir, 'tokenizer.json') }),
    });
    unlinkSync(join(dir, 'tokenizer.json'));
    unlinkSync(join(dir, 'model.safetensors'));
    await expect(loadCheckpoint(dir, ToyConfigSchema)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
      message: expect.stringContaining('model.safetensors'),
    });
    unlinkSync(join(dir, 'config.json'));
    await expect(loadCheckpoint(dir, ToyConfigSchema)).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
    toy.dispose();
  });

  it('a save that fails midway leaves the previous checkpoint intact and no temporary folder', async () => {
    const toy = new Toy({ dim: 2, name: 'first' });
    const dir = join(root, 'atomic', 'ckpt');
    await saveCheckpoint(dir, { config: toy.config, stateDict: toy.stateDict() });
    const gone = tf.ones([2]);
    gone.dispose();
    await expect(
      saveCheckpoint(dir, { config: { dim: 2, name: 'second' }, stateDict: { ...toy.stateDict(), gone } }),
    ).rejects.toThrow();
    // A failure inside the folder writer (the tokenizer cannot serialise) is also cleaned up.
    const badTokenizer = { toJSON: () => ({ self: 1n }) } as never;
    await expect(
      saveCheckpoint(dir, {
        config: { dim: 2, name: 'third' },
        stateDict: toy.stateDict(),
        tokenizer: badTokenizer,
      }),
    ).rejects.toThrow();
    expect(readdirSync(join(root, 'atomic'))).toEqual(['ckpt']);
    const ckpt = await loadCheckpoint(dir, ToyConfigSchema);
    expect(ckpt.config.name).toBe('first');
    tf.dispose(Object.values(ckpt.stateDict));
    toy.dispose();
  });

  it('recovers the previous folder when a save died between its two renames', async () => {
    const toy = new Toy({ dim: 2, name: 'old' });
    const dir = join(root, 'swap', 'ckpt');
    await saveCheckpoint(dir, { config: toy.config, stateDict: toy.stateDict() });
    renameSync(dir, `${dir}.prev`); // the state right after "move dir to dir.prev"
    const ckpt = await loadCheckpoint(dir, ToyConfigSchema);
    expect(ckpt.config.name).toBe('old');
    expect(ckpt.dir).toBe(`${dir}.prev`);
    tf.dispose(Object.values(ckpt.stateDict));
    await saveCheckpoint(dir, { config: { dim: 2, name: 'new' }, stateDict: toy.stateDict() });
    expect(readdirSync(join(root, 'swap'))).toEqual(['ckpt']);
    const again = await loadCheckpoint(dir, ToyConfigSchema);
    expect(again.config.name).toBe('new');
    tf.dispose(Object.values(again.stateDict));
    toy.dispose();
  });

  it('saveModel/loadModel round-trip a TransformerLM exactly: weights bitwise, same logits', async () => {
    const config = {
      vocabSize: 20,
      dModel: 16,
      nLayers: 2,
      nHeads: 2,
      maxSeqLen: 12,
      tiedEmbeddings: false,
      position: { kind: 'rope' as const },
      seed: 3,
    };
    const model = new TransformerLM(config);
    model.eval();
    const tokens = tf.tensor2d([[1, 5, 7, 2, 19, 0]], [1, 6], 'int32');
    const logits = tf.tidy(() => model.forward(tokens).logits);
    const dir = join(root, 'model');
    const tokenizer = VocabTokenizer.fromTokens(['x', 'y'], { level: 'char' });
    await saveModel(dir, model, { tokenizer, metadata: { step: '42' } });
    const before = tf.memory().numTensors;
    const loaded = await loadModel(dir);
    expect(tf.memory().numTensors - before).toBe(model.namedParameters().length);
    expect(loaded.metadata).toEqual({ step: '42' });
    expect(loaded.tokenizer!.toJSON()).toEqual(tokenizer.toJSON());
    expect(loaded.model.config).toEqual(model.config);
    const a = model.namedParameters();
    const b = loaded.model.namedParameters();
    expect(b.map(([k]) => k)).toEqual(a.map(([k]) => k));
    for (let i = 0; i < a.length; i++) {
      const x = a[i]![1].dataSync() as Float32Array;
      const y = b[i]![1].dataSync() as Float32Array;
      // Bitwise: compare the raw bytes, not the float values.
      expect(new Uint8Array(y.buffer, y.byteOffset, y.byteLength)).toEqual(
        new Uint8Array(x.buffer, x.byteOffset, x.byteLength),
      );
    }
    loaded.model.eval();
    const logits2 = tf.tidy(() => loaded.model.forward(tokens).logits);
    expect(values(logits2)).toEqual(values(logits));
    // The file is plain safetensors: names and shapes are the module's.
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    expect(Object.keys(tensors)).toEqual(a.map(([k]) => k));
    tf.dispose([...Object.values(tensors), tokens, logits, logits2]);
    loaded.model.dispose();
    model.dispose();
  });

  it('loadModel passes plug-in factories through; without them it is a clear error', async () => {
    const feedForwards = {
      scale: (_c: unknown, layer: number, mc: { dModel: number }) =>
        new ScaleFeedForward(mc.dModel, 10 + layer),
    };
    const model = new TransformerLM(
      {
        vocabSize: 10,
        dModel: 8,
        nLayers: 2,
        nHeads: 2,
        maxSeqLen: 8,
        feedForward: { kind: 'scale', gain: 2 },
      },
      { feedForwards },
    );
    model.eval();
    const dir = join(root, 'plugin');
    await saveModel(dir, model);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).feedForward).toEqual({
      kind: 'scale',
      gain: 2,
    });
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'FEED_FORWARD_UNKNOWN' });
    const { model: copy } = await loadModel(dir, { feedForwards });
    copy.eval();
    const tokens = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const [l1, l2] = tf.tidy(() => [model.forward(tokens).logits, copy.forward(tokens).logits]);
    expect(values(l2!)).toEqual(values(l1!));
    tf.dispose([tokens, l1!, l2!]);
    copy.dispose();
    model.dispose();
  });

  it('a config that does not match the weights gives STATE_DICT_* naming the file, and leaks nothing', async () => {
    const model = new TransformerLM({ vocabSize: 10, dModel: 8, nLayers: 1, nHeads: 2, maxSeqLen: 8 });
    const dir = join(root, 'mismatch');
    await saveModel(dir, model);
    const configFile = join(dir, 'config.json');
    const good = JSON.parse(readFileSync(configFile, 'utf8'));
    const before = tf.memory().numTensors;
    writeFileSync(configFile, JSON.stringify({ ...good, vocabSize: 11 }));
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'STATE_DICT_SHAPE',
      context: expect.objectContaining({
        key: 'tokenEmbedding.weight',
        file: join(dir, 'model.safetensors'),
      }),
    });
    writeFileSync(configFile, JSON.stringify({ ...good, nLayers: 2 }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'STATE_DICT_MISSING' });
    writeFileSync(configFile, JSON.stringify({ ...good, tiedEmbeddings: false }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'STATE_DICT_MISSING' });
    writeFileSync(configFile, JSON.stringify({ ...good, bias: false }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'STATE_DICT_UNEXPECTED' });
    writeFileSync(configFile, JSON.stringify({ ...good, nHeads: 3 }));
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'CHECKPOINT_CONFIG',
      message: expect.stringContaining('nHeads'),
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
