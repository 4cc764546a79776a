/**
 * Errors thrown by @lab packages. Callers branch on `code` (stable), never on
 * the message (which may improve). `context` carries what went wrong as data:
 * the op, argument, expected and actual shape; the file and line; the field.
 */
export class LabError extends Error {
  readonly code: string;
  readonly context: Record<string, unknown>;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LabError';
    this.code = code;
    this.context = context;
  }
}

/** Formats a shape for messages: `[2, 3, 4]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
