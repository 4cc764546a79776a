/**
 * Training progress on screen: a cli-progress bar on an interactive terminal,
 * plain lines elsewhere (pipes, log files, CI=true), or nothing.
 */
import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressReporter {
  step(step: number, fields: Record<string, number>): void;
  eval(step: number, metrics: Record<string, number>): void;
  end(): void;
}

function isCI(): boolean {
  const ci = typeof process !== 'undefined' ? process.env.CI : undefined;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** 'bar' on a TTY outside CI, else 'lines'. */
export function resolveProgressMode(mode: ProgressMode): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const tty = typeof process !== 'undefined' && Boolean(process.stderr?.isTTY);
  return tty && !isCI() ? 'bar' : 'lines';
}

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(4);
}

function formatFields(fields: Record<string, number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${k === 'tok/s' ? Math.round(v) : formatNumber(v)}`)
    .join('  ');
}

export function createProgress(
  mode: ProgressMode,
  totalSteps: number,
  logEvery: number,
  log: (line: string) => void,
): ProgressReporter {
  const resolved = resolveProgressMode(mode);
  if (resolved === 'none') return { step() {}, eval() {}, end() {} };
  if (resolved === 'lines') {
    const width = String(totalSteps).length;
    return {
      step(step, fields) {
        if (step % logEvery === 0 || step === totalSteps || step === 1) {
          log(`step ${String(step).padStart(width)}/${totalSteps}  ${formatFields(fields)}`);
        }
      },
      eval(step, metrics) {
        log(`eval at step ${step}  ${formatFields(metrics)}`);
      },
      end() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'train |{bar}| {value}/{total}  {fields}', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalSteps, 0, { fields: '' });
  let evalText = '';
  let stepText = '';
  let current = 0;
  return {
    step(step, fields) {
      current = step;
      stepText = formatFields(fields);
      bar.update(step, { fields: stepText + evalText });
    },
    eval(_step, metrics) {
      evalText = `  | eval ${formatFields(metrics)}`;
      bar.update(current, { fields: stepText + evalText });
    },
    end() {
      bar.stop();
    },
  };
}
