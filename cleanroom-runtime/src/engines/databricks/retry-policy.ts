/** Pure retry arithmetic for the Databricks client (no timers, no I/O), so it is tested without waiting. */

export interface BackoffOptions {
  /** First retry's upper bound, in ms. */
  baseDelayMs: number;
  /** Upper bound of any computed (non Retry-After) wait, in ms. */
  maxDelayMs: number;
}

/** "Full jitter" exponential backoff: uniform in [0, min(max, base * 2^(attempt-1))). `attempt` starts at 1. */
export function fullJitterDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP date) into ms; undefined when absent or unparseable.
 * Negative values and past dates count as "retry now" (0).
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Math.max(0, Math.round(Number(text) * 1000));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** 429 and 5xx are transient in Databricks' REST APIs; every other status is a definitive answer. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}
