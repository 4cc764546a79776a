/**
 * The BTX recipe as functions over checkpoint folders (arXiv:2403.07816 §2):
 * branch (copy the seed), train an expert (one domain, one job), mix (FFNs
 * become experts, everything else averaged, a new router), finetune. Sparse
 * upcycling (arXiv:2212.05055) is a mix of E copies of the seed. Every step
 * reads and writes core checkpoints, so experts trained elsewhere mix too.
 */
import {
  LabError,
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
  saveModel,
  type TransformerConfig,
  TransformerConfigSchema,
  tf,
} from '@lab/core';
import type { DomainName } from '../domains/domains.js';
import { moeFeedForwards } from '../factory.js';
import { type MoEOptionsInput, MoEOptionsSchema } from '../moe-config.js';
import {
  type BtxManifest,
  configHash,
  manifestFromMetadata,
  manifestToMetadata,
  readManifest,
  seedIdentity,
} from './manifest.js';
import { type StageOptions, type StageResult, trainStage } from './train-stage.js';

/**
 * Branch: a copy of the seed checkpoint recording the seed's hash, to be
 * trained on one domain (locally or shipped to another machine).
 * @example
 * await branch('runs/seed', 'runs/expert-arith');
 */
export async function branch(seedDir: string, outDir: string): Promise<BtxManifest> {
  const seedSha256 = await seedIdentity(seedDir);
  const ckpt = await loadCheckpoint(seedDir, TransformerConfigSchema);
  try {
    const manifest: BtxManifest = {
      ...manifestFromMetadata(ckpt.metadata),
      role: 'branch',
      seedSha256,
      configHash: configHash(ckpt.config),
    };
    await saveCheckpoint(outDir, {
      config: ckpt.config,
      stateDict: ckpt.stateDict,
      tokenizer: ckpt.tokenizer,
      metadata: { ...ckpt.metadata, ...manifestToMetadata(manifest) },
    });
    return manifest;
  } finally {
    tf.dispose(Object.values(ckpt.stateDict));
    ckpt.tokenizer?.dispose();
  }
}

export interface TrainExpertOptions extends Omit<StageOptions, 'domains' | 'trainable'> {
  /** The branch to train (read), and where the expert goes (written; may be the same folder). */
  checkpoint: string;
  out: string;
  domain: DomainName;
}

/**
 * Trains one branch on one domain and writes the expert with its manifest.
 * @example
 * await trainExpert({ checkpoint: 'runs/expert-arith', out: 'runs/expert-arith', domain: 'arith', steps: 1500 });
 */
export async function trainExpert(o: TrainExpertOptions): Promise<StageResult & { manifest: BtxManifest }> {
  const before = await readManifest(o.checkpoint);
  const seedSha256 = before.seedSha256 ?? (await seedIdentity(o.checkpoint));
  const { model, tokenizer } = await loadModel(o.checkpoint, { feedForwards: moeFeedForwards });
  try {
    const result = await trainStage(model, { ...o, domains: [o.domain] });
    const manifest: BtxManifest = {
      role: 'expert',
      seedSha256,
      configHash: configHash(model.config),
      domain: o.domain,
      steps: (before.steps ?? 0) + o.steps,
      tokens: (before.tokens ?? 0) + result.tokens,
      dataSeed: o.dataSeed ?? 0,
    };
    await saveModel(o.out, model, { tokenizer, metadata: manifestToMetadata(manifest) });
    return { ...result, manifest };
  } finally {
    model.dispose();
    tokenizer?.dispose();
  }
}

export interface MixOptions {
  /** Expert checkpoints (dense, branches of one seed), in expert order. */
  experts: string[];
  /** The seed checkpoint: its FFN becomes one more expert (keepSeedExpert) and its hash is checked. */
  seed?: string;
  /** Keep the seed's FFN as expert E−1. Default true when `seed` is given. */
  keepSeedExpert?: boolean;
  /** Average the non-FFN parameters over the seed too. Default false. */
  averageIncludesSeed?: boolean;
  /** Router, balancing and dispatch options of the MoE (numExperts is set by the mix). */
  moe?: Omit<MoEOptionsInput, 'numExperts' | 'kind' | 'activation'>;
  /** Seed of the new routers' init. */
  routerSeed?: number;
  /** Skip the same-seed check (only for checkpoints known to share a seed but lacking manifests). */
  allowUnknownSeed?: boolean;
  out: string;
  /** Recorded as the experts' names (default: each manifest's domain, or its folder). */
  names?: string[];
}

const FFN_KEY = /^blocks\.(\d+)\.ff\.(fc|proj)\.(weight|bias)$/;

/** Fields that may differ between experts: the init seed (provenance is checked by hash instead). */
const IGNORED_FIELDS = new Set(['seed']);

function configDiff(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b)) return path || '(root)';
  if (a && typeof a === 'object') {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) {
      if (!path && IGNORED_FIELDS.has(k)) continue;
      const d = configDiff(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : path || '(root)';
}

function fieldAt(config: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], config);
}

/**
 * MiX: per layer, the experts' FFNs (and the seed's) become the experts of an
 * MoE with a new router; every other parameter is the mean over the experts.
 * Refuses (LabError) experts whose configs, tensor shapes or seeds differ.
 * @example
 * await mix({ seed: 'runs/seed', experts: ['runs/expert-arith', 'runs/expert-code', 'runs/expert-wiki'], out: 'runs/btx' });
 */
export async function mix(o: MixOptions): Promise<{ config: TransformerConfig; manifest: BtxManifest }> {
  if (o.experts.length === 0)
    throw new LabError('BTX_MIX_EMPTY', 'mix needs at least one expert checkpoint', {});
  const keepSeed = o.keepSeedExpert ?? o.seed !== undefined;
  if (keepSeed && !o.seed) {
    throw new LabError('BTX_MIX_CONFIG', 'keepSeedExpert needs the seed checkpoint (`seed`)', {});
  }
  const dirs = [...o.experts, ...(keepSeed || (o.averageIncludesSeed && o.seed) ? [o.seed!] : [])];
  const loaded: Awaited<ReturnType<typeof loadCheckpoint<typeof TransformerConfigSchema>>>[] = [];
  try {
    for (const dir of dirs) loaded.push(await loadCheckpoint(dir, TransformerConfigSchema));
    // Configs must agree exactly (dense FFNs of one architecture).
    const first = loaded[0]!.config as TransformerConfig;
    if (first.feedForward.kind !== 'mlp') {
      throw new LabError(
        'BTX_EXPERT_NOT_DENSE',
        `${dirs[0]}: feedForward is "${first.feedForward.kind}", a mix takes dense (mlp) experts`,
        {
          file: dirs[0],
        },
      );
    }
    for (let i = 1; i < loaded.length; i++) {
      const diff = configDiff(first, loaded[i]!.config);
      if (diff) {
        throw new LabError(
          'BTX_CONFIG_MISMATCH',
          `${dirs[i]}/config.json: ${diff} is ${JSON.stringify(fieldAt(loaded[i]!.config, diff))}, but ${dirs[0]} has ${JSON.stringify(fieldAt(first, diff))}`,
          { file: dirs[i], field: diff, reference: dirs[0] },
        );
      }
    }
    // Same tensors, same shapes.
    const ref = loaded[0]!.stateDict;
    for (let i = 1; i < loaded.length; i++) {
      const sd = loaded[i]!.stateDict;
      for (const key of new Set([...Object.keys(ref), ...Object.keys(sd)])) {
        const a = ref[key];
        const b = sd[key];
        if (!a || !b || !tf.util.arraysEqual(a.shape, b.shape)) {
          throw new LabError(
            'BTX_SHAPE_MISMATCH',
            `${dirs[i]}: tensor "${key}" has shape ${b ? `[${b.shape.join(', ')}]` : 'none'}, but ${dirs[0]} has ${a ? `[${a.shape.join(', ')}]` : 'none'}`,
            { file: dirs[i], key, expected: a?.shape ?? null, actual: b?.shape ?? null },
          );
        }
      }
    }
    // One seed: averaging is only meaningful between branches of the same weights.
    const seeds = await Promise.all(dirs.map((d) => seedIdentity(d)));
    if (!o.allowUnknownSeed) {
      for (let i = 1; i < dirs.length; i++) {
        if (seeds[i] !== seeds[0]) {
          throw new LabError(
            'BTX_SEED_MISMATCH',
            `${dirs[i]} descends from seed ${seeds[i]!.slice(0, 12)}…, ${dirs[0]} from ${seeds[0]!.slice(0, 12)}…: only branches of one seed can be averaged`,
            { file: dirs[i], expected: seeds[0], actual: seeds[i] },
          );
        }
      }
    }

    const numExperts = o.experts.length + (keepSeed ? 1 : 0);
    const ffnSources = loaded.slice(0, numExperts).map((c) => c.stateDict);
    const avgSources = loaded
      .slice(0, o.experts.length + (o.averageIncludesSeed && o.seed ? 1 : 0))
      .map((c) => c.stateDict);
    const activation = (first.feedForward as { activation: 'gelu' | 'swiglu' }).activation;
    const moe = MoEOptionsSchema.parse({ ...o.moe, numExperts, activation });
    const config = { ...first, feedForward: moe } as TransformerConfig;
    const stateDict: Record<string, tf.Tensor> = {};
    const made: tf.Tensor[] = [];
    try {
      for (const key of Object.keys(ref)) {
        const m = FFN_KEY.exec(key);
        if (m) {
          const [, layer, lin, kind] = m;
          const name = `blocks.${layer}.ff.${lin === 'fc' ? (kind === 'weight' ? 'w1' : 'b1') : kind === 'weight' ? 'w2' : 'b2'}`;
          const t = tf.stack(ffnSources.map((sd) => sd[key]!)); // [E, ...]
          stateDict[name] = t;
          made.push(t);
        } else {
          const t = tf.tidy(() =>
            tf.div(tf.addN(avgSources.map((sd) => tf.cast(sd[key]!, 'float32'))), avgSources.length),
          );
          stateDict[key] = t;
          made.push(t);
        }
      }
      for (let l = 0; l < first.nLayers; l++) {
        const std = moe.routerInit === 'zeros' ? 0 : 0.02;
        const t = tf.randomNormal(
          [first.dModel, numExperts],
          0,
          std,
          'float32',
          (o.routerSeed ?? 0) * 997 + l + 1,
        );
        stateDict[`blocks.${l}.ff.router.weight`] = t; // [d, E]
        made.push(t);
      }
      const names =
        o.names ??
        (await Promise.all(o.experts.map(async (d) => (await readManifest(d)).domain ?? d))).concat(
          keepSeed ? ['seed'] : [],
        );
      const manifest: BtxManifest = {
        role: 'moe',
        seedSha256: seeds[0],
        configHash: configHash(config),
        experts: names,
      };
      await saveCheckpoint(o.out, {
        config,
        stateDict,
        tokenizer: loaded[0]!.tokenizer,
        metadata: manifestToMetadata(manifest),
      });
      return { config, manifest };
    } finally {
      tf.dispose(made);
    }
  } finally {
    for (const c of loaded) {
      tf.dispose(Object.values(c.stateDict));
      c.tokenizer?.dispose();
    }
  }
}

export interface UpcycleOptions {
  seed: string;
  numExperts: number;
  moe?: MixOptions['moe'];
  routerSeed?: number;
  out: string;
}

/**
 * Sparse upcycling: E copies of the seed's FFN, the seed's other weights, a new router.
 * @example
 * await upcycle({ seed: 'runs/seed', numExperts: 4, out: 'runs/upcycled' });
 */
export async function upcycle(
  o: UpcycleOptions,
): Promise<{ config: TransformerConfig; manifest: BtxManifest }> {
  return mix({
    experts: Array.from({ length: o.numExperts }, () => o.seed),
    keepSeedExpert: false,
    out: o.out,
    names: Array.from({ length: o.numExperts }, (_, i) => `copy${i}`),
    ...(o.moe ? { moe: o.moe } : {}),
    ...(o.routerSeed !== undefined ? { routerSeed: o.routerSeed } : {}),
  });
}

export interface FinetuneOptions extends Omit<StageOptions, 'domains'> {
  checkpoint: string;
  out: string;
  /** Default: the three synthetic domains. */
  domains?: DomainName[];
}

/**
 * MoE finetune on the union of the domains (LM loss + balancing), all parameters or routers only.
 * @example
 * await finetune({ checkpoint: 'runs/btx', out: 'runs/btx-ft', steps: 600 });
 */
export async function finetune(o: FinetuneOptions): Promise<StageResult> {
  const { model, tokenizer, metadata } = await loadModel(o.checkpoint, { feedForwards: moeFeedForwards });
  try {
    const result = await trainStage(model, { ...o, domains: o.domains ?? ['arith', 'code', 'wiki'] });
    const before = manifestFromMetadata(metadata);
    const manifest: BtxManifest = {
      ...before,
      role: 'finetuned',
      steps: (before.steps ?? 0) + o.steps,
      tokens: (before.tokens ?? 0) + result.tokens,
    };
    await saveModel(o.out, model, { tokenizer, metadata: manifestToMetadata(manifest) });
    return result;
  } finally {
    model.dispose();
    tokenizer?.dispose();
  }
}
