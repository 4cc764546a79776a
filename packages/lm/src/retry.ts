/**
 * Retry timing for HTTP providers: exponential backoff with full jitter, and
 * the server's Retry-After (seconds or HTTP date) or retry-after-ms when given.
 */

export interface BackoffOptions {
  /** Delay scale of the first retry, ms. */
  initialMs: number;
  /** Cap on one computed delay, ms. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
}

/**
 * Delay before retry number `attempt` (0-based): uniform in
 * [0.5, 1] × min(maxMs, initialMs · factor^attempt). Half the span is kept so
 * retries never bunch at zero; the jitter spreads clients that failed together.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * opts.factor ** attempt);
  return ceiling * (0.5 + 0.5 * random());
}

/**
 * The server's requested wait in ms, or null. Reads `retry-after-ms` (OpenAI),
 * then `retry-after` as delta-seconds or an HTTP date.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
