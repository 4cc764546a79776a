/**
 * The `btx` command line: each subcommand is one step of the recipe over
 * checkpoint folders, so experts can train as separate processes (or jobs on
 * other machines) and meet again at `mix`. Prints one JSON line of results
 * to stdout; errors go to stderr with their LabError code.
 */
import { parseArgs } from 'node:util';
import { initBackend, LabError, loadModel, saveModel, TransformerLM } from '@lab/core';
import { CHAR_VOCAB_SIZE } from './domains/char-vocab.js';
import { DOMAINS, type DomainName } from './domains/domains.js';
import { btmEvaluate, evaluateDomain } from './evaluate.js';
import { moeFeedForwards } from './factory.js';
import { ROUTINGS, type Routing } from './moe-config.js';
import { manifestToMetadata } from './recipe/manifest.js';
import { branch, finetune, mix, trainExpert, upcycle } from './recipe/steps.js';

const USAGE = `usage: btx <command> [options]

  init          --out DIR [--d-model 64 --layers 2 --heads 4 --d-ff 256 --seq-len 64 --seed 0]
                a fresh dense model over the synthetic character vocabulary
  branch        --seed DIR --out DIR             copy the seed (records its hash)
  train-expert  --checkpoint DIR --domain D --steps N [--out DIR] [training options]
  mix           --experts A,B,C --out DIR [--seed DIR] [--no-seed-expert] [--average-includes-seed]
                [--routing top2|topk|switch|sampleTop1|soft] [--top-k K] [--lb-alpha 0.01]
                [--router-init normal(0.02)|zeros] [--dispatch auto|dense|sparse] [--router-seed S]
  finetune      --checkpoint DIR --out DIR --steps N [--trainable all|router] [--domains arith,code,wiki]
  upcycle       --seed DIR --experts E --out DIR [MoE options as for mix]
  btm           --experts A,B,C --domain D [--top-k K] [--batches 8]
  eval          --checkpoint DIR [--domains arith,code,wiki,mixed] [--batches 8]

training options: --batch 16 --lr 6e-4 --warmup 100 --data-seed 0 --progress none|lines
domains: arith, code, wiki, mixed`;

const OPTIONS = {
  out: { type: 'string' },
  seed: { type: 'string' },
  checkpoint: { type: 'string' },
  domain: { type: 'string' },
  domains: { type: 'string' },
  experts: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  warmup: { type: 'string' },
  'data-seed': { type: 'string' },
  progress: { type: 'string' },
  'no-seed-expert': { type: 'boolean' },
  'average-includes-seed': { type: 'boolean' },
  routing: { type: 'string' },
  'top-k': { type: 'string' },
  'lb-alpha': { type: 'string' },
  'router-init': { type: 'string' },
  'router-seed': { type: 'string' },
  dispatch: { type: 'string' },
  trainable: { type: 'string' },
  batches: { type: 'string' },
  'd-model': { type: 'string' },
  layers: { type: 'string' },
  heads: { type: 'string' },
  'd-ff': { type: 'string' },
  'seq-len': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function need(v: Values, key: keyof Values): string {
  const x = v[key];
  if (typeof x !== 'string' || x === '') {
    throw new LabError('CLI_USAGE', `missing --${String(key)}\n\n${USAGE}`, { option: key });
  }
  return x;
}

function num(v: Values, key: keyof Values, fallback?: number): number | undefined {
  const x = v[key];
  if (x === undefined) return fallback;
  const n = Number(x);
  if (!Number.isFinite(n))
    throw new LabError('CLI_USAGE', `--${String(key)} must be a number, got "${String(x)}"`, { option: key });
  return n;
}

function domainOf(name: string): DomainName {
  if (name === 'mixed' || (DOMAINS as readonly string[]).includes(name)) return name as DomainName;
  throw new LabError('CLI_USAGE', `unknown domain "${name}" (arith, code, wiki, mixed)`, { domain: name });
}

function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function moeOptions(v: Values) {
  const routing = (v.routing ?? 'top2') as Routing;
  if (!ROUTINGS.includes(routing))
    throw new LabError('CLI_USAGE', `unknown routing "${routing}" (${ROUTINGS.join(', ')})`, {});
  return {
    routing,
    ...(v['top-k'] ? { topK: num(v, 'top-k') } : {}),
    ...(v['lb-alpha'] ? { lbAlpha: num(v, 'lb-alpha') } : {}),
    ...(v['router-init'] ? { routerInit: v['router-init'] as 'zeros' | 'normal(0.02)' } : {}),
    ...(v.dispatch ? { dispatch: v.dispatch as 'auto' | 'dense' | 'sparse' } : {}),
  };
}

function training(v: Values) {
  return {
    steps: num(v, 'steps')!,
    batchSize: num(v, 'batch', 16),
    peakLr: num(v, 'lr', 6e-4),
    warmupSteps: num(v, 'warmup', 100),
    dataSeed: num(v, 'data-seed', 0),
    progress: (v.progress ?? 'none') as 'none' | 'lines',
    log: (line: string) => process.stderr.write(`${line}\n`),
  };
}

/**
 * Runs one command; returns its JSON result (also printed by the bin).
 * @example
 * await runCli(['mix', '--seed', 'runs/seed', '--experts', 'runs/a,runs/b', '--out', 'runs/btx']);
 */
export async function runCli(argv: string[]): Promise<Record<string, unknown>> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const command = positionals[0];
  if (v.help || !command) return { usage: USAGE };
  await initBackend();
  switch (command) {
    case 'init': {
      const model = new TransformerLM({
        vocabSize: CHAR_VOCAB_SIZE,
        dModel: num(v, 'd-model', 64)!,
        nLayers: num(v, 'layers', 2)!,
        nHeads: num(v, 'heads', 4)!,
        dFF: num(v, 'd-ff', 256)!,
        maxSeqLen: num(v, 'seq-len', 64)!,
        seed: num(v, 'seed' as keyof Values, 0)!,
      });
      try {
        await saveModel(need(v, 'out'), model, { metadata: manifestToMetadata({ role: 'seed' }) });
        return { command, out: v.out, parameters: model.numParameters() };
      } finally {
        model.dispose();
      }
    }
    case 'branch':
      return { command, out: need(v, 'out'), manifest: await branch(need(v, 'seed'), need(v, 'out')) };
    case 'train-expert': {
      const checkpoint = need(v, 'checkpoint');
      need(v, 'steps');
      const r = await trainExpert({
        ...training(v),
        checkpoint,
        out: v.out ?? checkpoint,
        domain: domainOf(need(v, 'domain')),
      });
      return {
        command,
        out: v.out ?? checkpoint,
        manifest: r.manifest,
        finalLoss: r.losses.at(-1),
        tokens: r.tokens,
        ms: Math.round(r.ms),
      };
    }
    case 'mix': {
      const r = await mix({
        experts: list(need(v, 'experts')),
        ...(v.seed ? { seed: v.seed } : {}),
        keepSeedExpert: v.seed !== undefined && !v['no-seed-expert'],
        averageIncludesSeed: v['average-includes-seed'] ?? false,
        moe: moeOptions(v),
        routerSeed: num(v, 'router-seed', 0),
        out: need(v, 'out'),
      });
      return { command, out: v.out, feedForward: r.config.feedForward, manifest: r.manifest };
    }
    case 'finetune': {
      need(v, 'steps');
      const trainable = (v.trainable ?? 'all') as 'all' | 'router';
      if (trainable !== 'all' && trainable !== 'router')
        throw new LabError('CLI_USAGE', '--trainable is all or router', {});
      const r = await finetune({
        ...training(v),
        checkpoint: need(v, 'checkpoint'),
        out: need(v, 'out'),
        trainable,
        ...(v.domains ? { domains: list(v.domains).map(domainOf) } : {}),
      });
      return { command, out: v.out, finalLoss: r.losses.at(-1), tokens: r.tokens, ms: Math.round(r.ms) };
    }
    case 'upcycle': {
      const r = await upcycle({
        seed: need(v, 'seed'),
        numExperts: num(v, 'experts')!,
        moe: moeOptions(v),
        routerSeed: num(v, 'router-seed', 0),
        out: need(v, 'out'),
      });
      return { command, out: v.out, feedForward: r.config.feedForward };
    }
    case 'btm': {
      const dirs = list(need(v, 'experts'));
      const models = [];
      try {
        for (const d of dirs) models.push((await loadModel(d, { feedForwards: moeFeedForwards })).model);
        const domain = domainOf(need(v, 'domain'));
        const topK = num(v, 'top-k', dirs.length)!;
        return {
          command,
          domain,
          topK,
          loss: btmEvaluate(models, domain, { topK, batches: num(v, 'batches', 8) }),
        };
      } finally {
        for (const m of models) m.dispose();
      }
    }
    case 'eval': {
      const { model } = await loadModel(need(v, 'checkpoint'), { feedForwards: moeFeedForwards });
      try {
        const domains = list(v.domains ?? 'arith,code,wiki,mixed').map(domainOf);
        return {
          command,
          results: domains.map((d) => evaluateDomain(model, d, { batches: num(v, 'batches', 8) })),
        };
      } finally {
        model.dispose();
      }
    }
    default:
      throw new LabError('CLI_USAGE', `unknown command "${command}"\n\n${USAGE}`, { command });
  }
}
