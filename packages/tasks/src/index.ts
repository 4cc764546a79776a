/**
 * @lab/tasks: shared synthetic worlds, safe exact arithmetic, metrics and
 * dataset loaders for the @lab method packages. The public API is exactly
 * what this file exports.
 */

// exact arithmetic
export type {
  ArithIssue,
  ArithIssueCode,
  ArithOptions,
  ArithResult,
  BinaryOp,
  Env,
  Expr,
  Span,
} from './arith/expression.js';
export { evaluateExpression, parseExpression, variablesOf } from './arith/expression.js';
export type { Affine, Equation, EquationStatus, SystemSolution } from './arith/linear-system.js';
export { solveLinearSystem, toAffine } from './arith/linear-system.js';
export { Rational } from './arith/rational.js';

// loaders
export type { Gsm8kAnnotation, Gsm8kRecord } from './loaders/gsm8k.js';
export { loadGsm8k, parseGsm8kAnswer, parseGsm8kJsonl } from './loaders/gsm8k.js';
export type { SvampRecord } from './loaders/svamp.js';
export { loadSvamp, parseSvampJson } from './loaders/svamp.js';

// metrics
export type { Vote } from './metrics.js';
export {
  accuracy,
  exactMatch,
  extractAnswer,
  majorityVote,
  normalizeAnswer,
  numericMatch,
  parseNumericAnswer,
} from './metrics.js';

// randomness
export type { Rng } from './rng.js';
export { createRng } from './rng.js';

// the arithmetic word-problem world
export type { ComparisonOptions, ComparisonProblem } from './world/comparisons.js';
export { ComparisonOptionsSchema, generateComparisonProblems } from './world/comparisons.js';
export type {
  ArithmeticWorld,
  WordProblem,
  WordProblemOptions,
  WordProblemStep,
  WorldOp,
} from './world/word-problems.js';
export {
  generateArithmeticWorld,
  generateWordProblems,
  WORD_PROBLEM_SPLITS,
  WordProblemOptionsSchema,
} from './world/word-problems.js';
