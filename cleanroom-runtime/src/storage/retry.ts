/** Truncated exponential backoff with jitter, as GCS recommends for 408/429/5xx and dropped connections. */

export interface RetryOptions {
  /** Retries after the first attempt (default 6). 0 disables retrying. */
  maxRetries?: number;
  /** Base delay before the first retry (default 500 ms); doubles (see multiplier) each retry. */
  initialDelayMs?: number;
  /** Growth factor of the base delay (default 2). */
  multiplier?: number;
  /** Cap on one delay (default 32 s). */
  maxDelayMs?: number;
  /** No retry is started after this much time since the first attempt (default 120 s). */
  totalTimeoutMs?: number;
}

const DEFAULTS: Required<RetryOptions> = {
  maxRetries: 6,
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 32_000,
  totalTimeoutMs: 120_000,
};

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/** HTTP status of a client error, when it has one. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

export function isRetryable(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status !== undefined) return RETRYABLE_STATUS.has(status);
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && /socket hang up|network timeout|ECONNRESET/i.test(message);
}

/** Whether a failed attempt may have been applied by the server anyway (the response, not the request, was lost). */
export function mayHaveBeenApplied(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status === undefined || status >= 500 || status === 408;
}

export function resolveRetryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  const resolved = { ...DEFAULTS, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`retry option ${name} must be a non-negative number, got ${value}`);
  }
  return resolved;
}

/** Delay before retry number `retry` (0-based): half fixed, half random, so concurrent clients spread out. */
export function backoffDelayMs(options: Required<RetryOptions>, retry: number, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * Math.pow(options.multiplier, retry));
  return base / 2 + random() * (base / 2);
}

export interface AttemptFailure {
  error: unknown;
  attempt: number;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or retries run out.
 * `failures` lists earlier failed attempts so the caller can tell whether an earlier attempt may have been applied.
 */
export async function withRetries<T>(
  options: Required<RetryOptions>,
  attempt: (failures: readonly AttemptFailure[]) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const failures: AttemptFailure[] = [];
  for (let n = 0; ; n++) {
    try {
      return await attempt(failures);
    } catch (error) {
      const outOfTime = Date.now() - started >= options.totalTimeoutMs;
      if (!isRetryable(error) || n >= options.maxRetries || outOfTime) throw error;
      failures.push({ error, attempt: n });
      await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(options, n)));
    }
  }
}
