/**
 * The `position` field of a TransformerConfig: core's encodings as a union on
 * `kind`, plus a pass-through `{ kind, ...options }` for plug-ins (CoPE),
 * whose factory the model receives as a constructor argument.
 */
import { z } from 'zod';

export const NonePositionConfigSchema = z.strictObject({ kind: z.literal('none') });
export const AbsolutePositionConfigSchema = z.strictObject({ kind: z.literal('absolute') });
export const RelativePositionConfigSchema = z.strictObject({
  kind: z.literal('relative'),
  /** Table columns (distances 0..maxDistance-1). Default: the model's maxSeqLen. */
  maxDistance: z.number().int().positive().optional(),
  /** One table for every layer (the CoPE reference's default) or one per layer. */
  shared: z.boolean().default(true),
});
export const CappedRelativePositionConfigSchema = z.strictObject({
  kind: z.literal('capped-relative'),
  /** Distances 0..cap-1 have their own vector. */
  cap: z.number().int().positive().default(16),
  /** Past the cap: reuse the last vector ("extend") or add no bias ("zero"). */
  beyond: z.enum(['extend', 'zero']).default('extend'),
  shared: z.boolean().default(true),
});
export const RopePositionConfigSchema = z.strictObject({
  kind: z.literal('rope'),
  base: z.number().positive().default(10000),
});

export const CORE_POSITION_KINDS = ['none', 'absolute', 'relative', 'capped-relative', 'rope'] as const;

export const CorePositionConfigSchema = z.discriminatedUnion('kind', [
  NonePositionConfigSchema,
  AbsolutePositionConfigSchema,
  RelativePositionConfigSchema,
  CappedRelativePositionConfigSchema,
  RopePositionConfigSchema,
]);
export type CorePositionConfig = z.infer<typeof CorePositionConfigSchema>;

/** A plug-in's options: any `kind` core does not ship, other keys passed through untouched. */
export const PluginConfigSchema = (coreKinds: readonly string[]) =>
  z.looseObject({
    kind: z.string().refine((k) => !coreKinds.includes(k), { message: 'invalid options for a core kind' }),
  });
export type PluginConfig = { kind: string; [key: string]: unknown };

export const PositionConfigSchema = z.union([
  CorePositionConfigSchema,
  PluginConfigSchema(CORE_POSITION_KINDS),
]);
export type PositionConfig = CorePositionConfig | PluginConfig;

export function isCorePosition(config: PositionConfig): config is CorePositionConfig {
  return (CORE_POSITION_KINDS as readonly string[]).includes(config.kind);
}
