/**
 * Provenance of BTX checkpoints (spec §6), stored as `btx.*` strings in the
 * safetensors metadata, so it travels with the weights: the seed's SHA-256
 * (averaging is only safe between branches of one seed), a hash of the
 * model config, and for experts their domain, steps, tokens and data seed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensorsHeader, WEIGHTS_FILE } from '@lab/core';

export interface BtxManifest {
  role?: 'seed' | 'branch' | 'expert' | 'moe' | 'upcycled' | 'finetuned';
  seedSha256?: string;
  configHash?: string;
  domain?: string;
  steps?: number;
  tokens?: number;
  dataSeed?: number;
  /** Expert order of an MoE (domain names; `seed` for the kept seed FFN). */
  experts?: string[];
}

const NUMBERS = new Set(['steps', 'tokens', 'dataSeed']);

/** Key order does not matter; the hash is over canonical JSON. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of a config's canonical JSON. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonical(config)).digest('hex');
}

/** SHA-256 of a checkpoint's weights file. */
export async function weightsSha256(dir: string): Promise<string> {
  return createHash('sha256')
    .update(new Uint8Array(await readFile(join(dir, WEIGHTS_FILE))))
    .digest('hex');
}

export function manifestToMetadata(m: BtxManifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined) continue;
    out[`btx.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

export function manifestFromMetadata(meta: Record<string, string>): BtxManifest {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (!k.startsWith('btx.')) continue;
    const key = k.slice(4);
    out[key] = NUMBERS.has(key) || key === 'experts' ? JSON.parse(v) : v;
  }
  return out as BtxManifest;
}

/**
 * The manifest of a checkpoint folder (reads only the safetensors header).
 * @example
 * const m = await readManifest('runs/expert-arith'); m.domain; // 'arith'
 */
export async function readManifest(dir: string): Promise<BtxManifest> {
  const header = await readSafetensorsHeader(join(dir, WEIGHTS_FILE));
  return manifestFromMetadata(header.metadata);
}

/** The seed identity of a checkpoint: its recorded seed hash, else the hash of its own weights. */
export async function seedIdentity(dir: string): Promise<string> {
  return (await readManifest(dir)).seedSha256 ?? (await weightsSha256(dir));
}
