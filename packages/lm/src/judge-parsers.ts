/**
 * The shared parsers of judge output: verdict markers `[[A]]`, `[[B]]`, `[[C]]`
 * (tie), as in MT-Bench-style pairwise prompts, and score markers `Score: N`.
 * judge-loop, meta-rewarding, shepherd and pathfinder all read judgments
 * through these, so one set of edge cases is decided once.
 */

export type Verdict = 'A' | 'B' | 'tie' | 'unparsed';

// Whitespace inside the brackets is tolerated (`[[ A ]]`), other text is not.
const VERDICT_MARKER = /\[\[\s*([ABC])\s*\]\]/g;

/**
 * The verdict in a judge's text. Exactly one kind of marker must appear
 * (repeats are fine): `[[A]]` → A, `[[B]]` → B, `[[C]]` → tie. None, or two
 * different kinds (a judge quoting the instructions, or hedging) → unparsed.
 *
 * @example
 * ```ts
 * parseVerdict('Assistant A is more accurate. [[A]]'); // 'A'
 * parseVerdict('Output [[A]] or [[B]].');             // 'unparsed'
 * ```
 */
export function parseVerdict(text: string): Verdict {
  const kinds = new Set<string>();
  for (const m of text.matchAll(VERDICT_MARKER)) kinds.add(m[1]!);
  if (kinds.size !== 1) return 'unparsed';
  const [kind] = kinds;
  return kind === 'A' ? 'A' : kind === 'B' ? 'B' : 'tie';
}

// `Score: 4`, `score: 4.5`, `Score: **4**`, `Score: 4/5`; not `Score: <n>` or `Score: four`.
const SCORE_MARKER = /\bscore\s*:\s*\**\s*(-?\d+(?:\.\d+)?)/gi;

export interface ParseScoreOptions {
  /** Scores outside [min, max] count as unparsed. */
  min?: number;
  max?: number;
}

/**
 * The score in a judge's text: the last `Score: N` marker (judges often
 * restate the format before their answer), or null when there is none or it is
 * out of range.
 *
 * @example
 * ```ts
 * parseScore('Reasoning... Score: 4', { min: 0, max: 5 }); // 4
 * parseScore('Score: 9', { max: 5 });                      // null
 * ```
 */
export function parseScore(text: string, options: ParseScoreOptions = {}): number | null {
  let last: number | null = null;
  for (const m of text.matchAll(SCORE_MARKER)) last = Number(m[1]);
  if (last === null || !Number.isFinite(last)) return null;
  if (options.min !== undefined && last < options.min) return null;
  if (options.max !== undefined && last > options.max) return null;
  return last;
}
