/** What the task generators produce: training docs with entity spans and scored QA items. */
import type { Doc } from '../reverse-doc.js';

/** A test question: the model continues `prompt` and must produce `answer` exactly (greedy). */
export interface QAItem {
  prompt: string;
  answer: string;
  /** `forward` asks in the direction the facts were stated; `reverse` the other way. */
  direction: 'forward' | 'reverse';
  /** Free-form group for tables (symbolic: pair length; bios: attribute). */
  group: string;
  /** Partial-credit answers (bios reverse: first name, last name). */
  parts?: Record<string, string>;
}

export interface TaskData {
  /** Training documents (before any reversal), with entity word spans. */
  train: Doc[];
  /** Held-out questions, both directions. */
  test: QAItem[];
  /** Every word used (for a word-level vocabulary). */
  vocabulary: string[];
}
