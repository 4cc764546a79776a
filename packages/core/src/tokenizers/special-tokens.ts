/**
 * Special tokens shared by every tokenizer: resolving roles against a
 * tokenizer's defaults, the text ↔ id tables, and splitting text at special
 * token occurrences (longest match wins, left to right).
 */
import { LabError } from '../errors.js';
import { type SpecialTokensConfig, SpecialTokensConfigSchema } from './tokenizer-json.js';
import type { SpecialTokenRole } from './types.js';

export interface ResolvedSpecialTokens {
  pad: string | null;
  bos: string | null;
  eos: string | null;
  unk: string | null;
  extra: string[];
}

const ROLES: readonly SpecialTokenRole[] = ['pad', 'bos', 'eos', 'unk'];

/** Fills unset roles from `defaults` (null keeps a role empty). */
export function resolveSpecialTokens(
  config: SpecialTokensConfig | undefined,
  defaults: Omit<ResolvedSpecialTokens, 'extra'>,
): ResolvedSpecialTokens {
  const parsed = SpecialTokensConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    throw new LabError('TOKENIZER_CONFIG', `bad special tokens: ${parsed.error.message}`, {
      issues: parsed.error.issues,
    });
  }
  const c = parsed.data;
  return {
    pad: c.pad === undefined ? defaults.pad : c.pad,
    bos: c.bos === undefined ? defaults.bos : c.bos,
    eos: c.eos === undefined ? defaults.eos : c.eos,
    unk: c.unk === undefined ? defaults.unk : c.unk,
    extra: [...c.extra],
  };
}

/** Distinct special token texts in id order: pad, bos, eos, unk, then extra. */
export function orderedSpecialTokens(r: ResolvedSpecialTokens): string[] {
  const out: string[] = [];
  for (const t of [r.pad, r.bos, r.eos, r.unk, ...r.extra]) {
    if (t !== null && !out.includes(t)) out.push(t);
  }
  return out;
}

/** A piece of text between special tokens, or one special token. */
export type TextPiece =
  | { special: false; text: string; start: number }
  | { special: true; id: number; start: number; end: number };

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The special tokens of one tokenizer: lookups both ways and text splitting. */
export class SpecialTokenTable {
  readonly byText: ReadonlyMap<string, number>;
  readonly byId: ReadonlyMap<number, string>;
  readonly roles: ResolvedSpecialTokens;
  private readonly pattern: RegExp | null;

  constructor(entries: ReadonlyArray<readonly [string, number]>, roles: ResolvedSpecialTokens) {
    const byText = new Map<string, number>();
    const byId = new Map<number, string>();
    for (const [text, id] of entries) {
      if (byText.has(text)) {
        throw new LabError('TOKENIZER_CONFIG', `special token "${text}" is defined twice`, { token: text });
      }
      byText.set(text, id);
      byId.set(id, text);
    }
    for (const role of ROLES) {
      const t = roles[role];
      if (t !== null && !byText.has(t)) {
        throw new LabError('TOKENIZER_CONFIG', `${role} token "${t}" is not a special token`, {
          role,
          token: t,
        });
      }
    }
    this.byText = byText;
    this.byId = byId;
    this.roles = roles;
    // Longest first, so that `<|endoftext|>` wins over a shorter special that prefixes it.
    const texts = [...byText.keys()].sort((a, b) => b.length - a.length);
    this.pattern = texts.length > 0 ? new RegExp(texts.map(escapeRegExp).join('|'), 'g') : null;
  }

  roleId(role: SpecialTokenRole): number | null {
    const t = this.roles[role];
    return t === null ? null : this.byText.get(t)!;
  }

  /** Id by token text or role name; throws TOKENIZER_NO_SPECIAL. */
  idOf(nameOrRole: string): number {
    const direct = this.byText.get(nameOrRole);
    if (direct !== undefined) return direct;
    if ((ROLES as readonly string[]).includes(nameOrRole)) {
      const id = this.roleId(nameOrRole as SpecialTokenRole);
      if (id !== null) return id;
    }
    throw new LabError(
      'TOKENIZER_NO_SPECIAL',
      `no special token "${nameOrRole}" (have: ${[...this.byText.keys()].join(', ') || 'none'})`,
      { name: nameOrRole },
    );
  }

  /** Splits `text` into ordinary pieces and special tokens, left to right. */
  split(text: string): TextPiece[] {
    if (this.pattern === null) return [{ special: false, text, start: 0 }];
    const out: TextPiece[] = [];
    let last = 0;
    for (const m of text.matchAll(this.pattern)) {
      const at = m.index!;
      if (at > last) out.push({ special: false, text: text.slice(last, at), start: last });
      out.push({ special: true, id: this.byText.get(m[0])!, start: at, end: at + m[0].length });
      last = at + m[0].length;
    }
    if (last < text.length || out.length === 0)
      out.push({ special: false, text: text.slice(last), start: last });
    return out;
  }
}
