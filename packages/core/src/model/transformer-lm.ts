/**
 * A decoder-only transformer language model (GPT-2 layout by default) that
 * implements CausalLM. Position encodings and feed-forwards are plug points:
 * core's kinds are built in, others come from factories passed to the
 * constructor (never a global registry).
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LabError } from '../errors.js';
import { buildAttentionMask } from '../nn/attention-mask.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import type { FeedForward } from '../nn/feed-forward-types.js';
import { deriveSeed } from '../nn/init.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { Linear } from '../nn/linear.js';
import { MLP } from '../nn/mlp.js';
import { Module } from '../nn/module.js';
import { RMSNorm } from '../nn/rms-norm.js';
import { TransformerBlock } from '../nn/transformer-block.js';
import { LearnedAbsolutePosition } from '../position/absolute.js';
import { isCorePosition, type PluginConfig } from '../position/config.js';
import { LearnedRelativePosition } from '../position/relative.js';
import { RotaryPosition } from '../position/rope.js';
import type { PositionEncoding } from '../position/types.js';
import { TransformerKVCache } from './kv-cache.js';
import {
  type TransformerConfig,
  type TransformerConfigInput,
  TransformerConfigSchema,
} from './transformer-config.js';
import type { CausalLM, ForwardOptions, ForwardOutput } from './types.js';

/** Builds a plug-in position encoding for one layer. Return the same instance for every layer to share it. */
export type PositionEncodingFactory = (
  config: PluginConfig,
  layerIndex: number,
  modelConfig: TransformerConfig,
) => PositionEncoding;
/** Builds a plug-in feed-forward for one layer. */
export type FeedForwardFactory = (
  config: PluginConfig,
  layerIndex: number,
  modelConfig: TransformerConfig,
) => FeedForward;

export interface TransformerLMOptions {
  /** Plug-in position encodings by `kind` (e.g. `cope` from @lab/cope). */
  positionEncodings?: Record<string, PositionEncodingFactory>;
  /** Plug-in feed-forwards by `kind` (e.g. `moe` from @lab/btx-moe). */
  feedForwards?: Record<string, FeedForwardFactory>;
}

/**
 * @example
 * const model = new TransformerLM({ vocabSize: 256, dModel: 64, nLayers: 2, nHeads: 4, maxSeqLen: 128, position: { kind: 'rope' } });
 * const { logits } = model.forward(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, 256]
 * // plug-ins: new TransformerLM({ ...config, position: { kind: 'cope', npos: 65 } }, { positionEncodings: { cope: makeCope } })
 */
export class TransformerLM extends Module implements CausalLM {
  readonly config: TransformerConfig;
  readonly tokenEmbedding: Embedding;
  readonly blocks: TransformerBlock[] = [];
  readonly finalNorm: LayerNorm | RMSNorm | null;
  readonly head: Linear | null;
  /** Distinct position encodings in use, in layer order (embedInput runs for each that has it). */
  readonly positionEncodings: PositionEncoding[];
  private readonly embDropout: Dropout;

  constructor(config: TransformerConfigInput, options: TransformerLMOptions = {}) {
    super();
    const parsed = TransformerConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new LabError('CONFIG_INVALID', `invalid TransformerLM config: ${parsed.error.message}`, {
        issues: parsed.error.issues,
      });
    }
    const c = parsed.data as TransformerConfig;
    this.config = c;
    const { vocabSize, dModel, nLayers, nHeads, seed } = c;
    const headDim = dModel / nHeads;
    const residStd = 0.02 / Math.sqrt(2 * nLayers);

    this.tokenEmbedding = this.addModule(
      'tokenEmbedding',
      new Embedding({ numEmbeddings: vocabSize, dim: dModel, seed: deriveSeed(seed, 'tokenEmbedding') }),
    );
    this.embDropout = this.addModule(
      'embDropout',
      new Dropout({ rate: c.dropout, seed: deriveSeed(seed, 'embDrop') }),
    );

    const perLayer = Array.from({ length: nLayers }, (_, i) => this.buildPosition(i, headDim, options));
    // An instance used by several layers belongs to the model (`position.*`), once.
    const uses = new Map<PositionEncoding, number>();
    for (const pe of perLayer) if (pe) uses.set(pe, (uses.get(pe) ?? 0) + 1);
    // Core's shared kinds stay model-level even with one layer, so names do not depend on nLayers.
    const coreShared = new Set(this.sharedCache.values());
    const modelLevel = (pe: PositionEncoding) =>
      (uses.get(pe) ?? 0) > 1 || !!pe.embedInput || coreShared.has(pe);
    let sharedCount = 0;
    for (const pe of uses.keys()) {
      if (modelLevel(pe)) this.addModule(sharedCount++ === 0 ? 'position' : `position${sharedCount - 1}`, pe);
    }
    this.positionEncodings = [...uses.keys()];

    for (let i = 0; i < nLayers; i++) {
      const pe = perLayer[i] ?? null;
      const ownsPosition = pe != null && !modelLevel(pe);
      const block = new TransformerBlock(
        {
          dModel,
          nHeads,
          norm: c.norm,
          normPlacement: c.normPlacement,
          bias: c.bias,
          dropout: c.dropout,
          outInitStd: residStd,
          seed: deriveSeed(seed, 'blocks', i),
        },
        { feedForward: this.buildFeedForward(i, residStd, options), position: pe, ownsPosition },
      );
      this.blocks.push(block);
    }
    this.addModule('blocks', new BlockList(this.blocks));

    this.finalNorm =
      c.normPlacement === 'pre'
        ? this.addModule(
            'finalNorm',
            c.norm === 'rms' ? new RMSNorm({ dim: dModel }) : new LayerNorm({ dim: dModel, bias: c.bias }),
          )
        : null;
    this.head = c.tiedEmbeddings
      ? null
      : this.addModule(
          'head',
          new Linear({
            inFeatures: dModel,
            outFeatures: vocabSize,
            bias: false,
            seed: deriveSeed(seed, 'head'),
          }),
        );
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get maxSeqLen(): number {
    return this.config.maxSeqLen;
  }

  private sharedCache = new Map<string, PositionEncoding>();

  private buildPosition(
    layer: number,
    headDim: number,
    options: TransformerLMOptions,
  ): PositionEncoding | null {
    const c = this.config;
    const p = c.position;
    if (!isCorePosition(p)) {
      const factory = options.positionEncodings?.[p.kind];
      if (!factory) {
        throw new LabError(
          'POSITION_UNKNOWN',
          `position kind "${p.kind}" is neither core's nor in options.positionEncodings (${Object.keys(options.positionEncodings ?? {}).join(', ') || 'none given'})`,
          { kind: p.kind },
        );
      }
      return factory(p, layer, c);
    }
    const shared = <T extends PositionEncoding>(make: () => T): T => {
      const hit = this.sharedCache.get(p.kind);
      if (hit) return hit as T;
      const pe = make();
      this.sharedCache.set(p.kind, pe);
      return pe;
    };
    const seed = deriveSeed(c.seed, 'position', p.kind);
    switch (p.kind) {
      case 'none':
        return null;
      case 'absolute':
        return shared(() => new LearnedAbsolutePosition({ maxSeqLen: c.maxSeqLen, dModel: c.dModel, seed }));
      case 'rope':
        return shared(() => new RotaryPosition({ headDim, base: p.base }));
      case 'relative': {
        const make = (s: number) =>
          new LearnedRelativePosition({ headDim, size: p.maxDistance ?? c.maxSeqLen, seed: s });
        return p.shared ? shared(() => make(seed)) : make(deriveSeed(seed, layer));
      }
      case 'capped-relative': {
        const make = (s: number) =>
          new LearnedRelativePosition({ headDim, size: p.cap, beyond: p.beyond, seed: s });
        return p.shared ? shared(() => make(seed)) : make(deriveSeed(seed, layer));
      }
    }
  }

  private buildFeedForward(layer: number, residStd: number, options: TransformerLMOptions): FeedForward {
    const c = this.config;
    const f = c.feedForward;
    if (f.kind === 'mlp') {
      const activation = (f as { activation: 'gelu' | 'swiglu' }).activation;
      return new MLP({
        dModel: c.dModel,
        dFF: c.dFF,
        activation,
        bias: c.bias,
        outInitStd: residStd,
        seed: deriveSeed(c.seed, 'blocks', layer, 'ff'),
      });
    }
    const factory = options.feedForwards?.[f.kind];
    if (!factory) {
      throw new LabError(
        'FEED_FORWARD_UNKNOWN',
        `feed-forward kind "${f.kind}" is neither core's nor in options.feedForwards (${Object.keys(options.feedForwards ?? {}).join(', ') || 'none given'})`,
        { kind: f.kind },
      );
    }
    return factory(f as PluginConfig, layer, c);
  }

  /** An empty KV cache for `batchSize` rows. */
  createCache(batchSize: number): TransformerKVCache {
    return new TransformerKVCache(batchSize, this.config.nLayers);
  }

  /**
   * tokens: [batch, seq] int32. With a cache, the tokens continue after the
   * cached ones and are appended to it. attentionMask: [batch, cacheLength +
   * seq], 1 for real tokens; once given it is remembered by the cache.
   */
  forward(tokens: tf.Tensor2D, options: ForwardOptions = {}): ForwardOutput {
    const { dModel, vocabSize, maxSeqLen } = this.config;
    if (tokens.rank !== 2) {
      throw new LabError('SHAPE_MISMATCH', `tokens must be [batch, seq], got ${formatShape(tokens.shape)}`, {
        op: 'TransformerLM.forward',
        actual: tokens.shape,
      });
    }
    const [batch, seq] = tokens.shape;
    const cache = options.cache as TransformerKVCache | undefined;
    if (cache !== undefined) {
      if (!(cache instanceof TransformerKVCache) || cache.layers.length !== this.config.nLayers) {
        throw new LabError('CACHE_MISMATCH', 'the cache was not created by this model (createCache)', {});
      }
      if (cache.batchSize !== batch) {
        throw new LabError('CACHE_MISMATCH', `cache holds ${cache.batchSize} rows, tokens have ${batch}`, {
          expected: cache.batchSize,
          actual: batch,
        });
      }
    }
    const offset = cache?.length ?? 0;
    const total = offset + seq;
    if (total > maxSeqLen) {
      throw new LabError(
        'SEQUENCE_TOO_LONG',
        `sequence of ${total} tokens (cache ${offset} + ${seq}) exceeds maxSeqLen ${maxSeqLen}`,
        {
          length: total,
          maxSeqLen,
        },
      );
    }
    if (
      options.attentionMask &&
      (options.attentionMask.shape[0] !== batch || options.attentionMask.shape[1] !== total)
    ) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `attentionMask must be [${batch}, ${total}] (cache + new tokens), got ${formatShape(options.attentionMask.shape)}`,
        { op: 'TransformerLM.forward', expected: [batch, total], actual: options.attentionMask.shape },
      );
    }

    const [logits, auxLoss] = tf.tidy(() => {
      let keyMask: tf.Tensor2D | null = null;
      if (options.attentionMask) {
        keyMask =
          options.attentionMask.dtype === 'float32'
            ? options.attentionMask
            : tf.cast(options.attentionMask, 'float32');
      } else if (cache?.mask) {
        keyMask = tf.concat([cache.mask, tf.ones([batch, seq])], 1);
      }

      let x = this.tokenEmbedding.forward(tokens) as tf.Tensor3D; // [b, t, dModel]
      const embedders = this.positionEncodings.filter((pe) => pe.embedInput);
      if (embedders.length > 0) {
        const positions = this.positions(batch, seq, offset, keyMask);
        for (const pe of embedders) x = pe.embedInput!(x, positions);
      }
      x = this.embDropout.forward(x);

      const mask = buildAttentionMask(seq, total, keyMask);
      let aux: tf.Scalar | null = null;
      for (let i = 0; i < this.blocks.length; i++) {
        const out = this.blocks[i]!.forward(x, {
          mask,
          ...(cache ? { cache: { store: cache, layer: i } } : {}),
        });
        x = out.output;
        if (out.auxLoss) aux = aux ? tf.add(aux, out.auxLoss) : out.auxLoss;
      }
      if (cache) cache.advance(seq, keyMask);
      if (this.finalNorm) x = this.finalNorm.forward(x);

      const flat = tf.reshape(x, [batch * seq, dModel]) as tf.Tensor2D; // [b·t, dModel]
      // Tied head: an explicit transpose keeps the matmul on wasm's fast path.
      const logits = this.head
        ? this.head.forward(flat)
        : tf.matMul(flat, tf.transpose(this.tokenEmbedding.weight));
      const out = tf.reshape(logits, [batch, seq, vocabSize]) as tf.Tensor3D;
      return aux ? [out, aux] : [out];
    }) as [tf.Tensor3D, tf.Scalar?];
    return { logits, auxLoss: auxLoss ?? null };
  }

  /** Absolute positions of the new tokens, counting real tokens only: [batch, seq] int32. */
  private positions(batch: number, seq: number, offset: number, keyMask: tf.Tensor2D | null): tf.Tensor2D {
    if (!keyMask) {
      return tf.tile(tf.reshape(tf.range(offset, offset + seq, 1, 'int32'), [1, seq]), [
        batch,
        1,
      ]) as tf.Tensor2D;
    }
    const counted = tf.relu(tf.sub(tf.cumsum(keyMask, 1), 1)); // [b, total]
    return tf.cast(tf.slice(counted, [0, offset], [batch, seq]), 'int32') as tf.Tensor2D;
  }
}

/** Holds the blocks so their parameters are named `blocks.<i>.*`. */
class BlockList extends Module {
  constructor(blocks: TransformerBlock[]) {
    super();
    for (const [i, b] of blocks.entries()) this.addModule(String(i), b);
  }
}
