/**
 * The tool contract (spec §2.3): a named async function from an argument (and
 * an optional option, e.g. the entity type of `-NER(location)->`) to a string
 * or a number. Shipped tools and a user's own plug in the same way.
 */

/** What a tool receives besides its argument. */
export interface ToolContext {
  /** Typed arguments of a `FUNC name(a, b)` call (absent for bracket calls). */
  args?: readonly (string | number)[];
  /** Id of the call in its chain (`c3`). */
  callId?: string;
}

/**
 * A tool. `arg` is the call's argument with its placeholders filled: a number
 * when the argument is a single numeric placeholder or literal, else text.
 *
 * @example
 * const upper: Tool = { name: 'Upper', call: async (arg) => String(arg).toUpperCase() };
 */
export interface Tool {
  readonly name: string;
  /** One line shown in few-shot prompts. */
  readonly description?: string;
  call(
    arg: string | number,
    option?: string,
    signal?: AbortSignal,
    context?: ToolContext,
  ): Promise<string | number>;
}
