// Decision: plain `fetch` against the documented REST API, not @databricks/sdk-experimental 0.14 (it forces https:// on
// the host, retries no 5xx, ignores Retry-After and cannot take an injected sleep) — see docs/architecture.md.
import { DatabricksApiError, EngineUnavailableError } from './errors';
import { fullJitterDelayMs, isRetryableStatus, parseRetryAfterMs } from './retry-policy';

/** Returns the bearer token to use (a PAT from the DATABRICKS_TOKEN secret, or e.g. a freshly minted OAuth token). */
export type TokenProvider = () => Promise<string>;

export interface RetryNotice {
  method: string;
  path: string;
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** HTTP status of that attempt; undefined for network errors and timeouts. */
  status?: number;
  waitMs: number;
  reason: string;
}

export interface DatabricksClientOptions {
  /** Workspace URL, e.g. https://1234567890.1.gcp.databricks.com. http:// only for loopback hosts (test fakes). */
  host: string;
  token: string | TokenProvider;
  /** Per attempt, covering the response body too. Default 30 s. */
  requestTimeoutMs?: number;
  /** Attempts per request, including the first. Default 6. */
  maxAttempts?: number;
  /** Time budget per request including waits; a wait that would exceed it ends the request. Default 120 s. */
  maxElapsedMs?: number;
  /** Backoff of the first retry (upper bound of the full-jitter draw). Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of computed backoffs (a server's Retry-After is honoured as given, within maxElapsedMs). Default 20 s. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  fetch?: typeof fetch;
  /** Called before each retry wait (for structured logs); never receives the token. */
  onRetry?: (notice: RetryNotice) => void;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

type Attempt =
  | { kind: 'ok'; value: unknown }
  | { kind: 'retry'; status?: number; retryAfterMs?: number; reason: string }
  | { kind: 'fail'; error: Error };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Validates and normalises a workspace URL to `scheme://host[:port]`; the token must never travel over plain http. */
export function normaliseWorkspaceHost(host: string): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error(`Databricks host "${host}" is not a URL; expected e.g. https://1234567890.1.gcp.databricks.com`);
  }
  const insecureAllowed = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !insecureAllowed) {
    throw new Error(`Databricks host "${host}" must use https:// (the access token must never travel unencrypted)`);
  }
  if (url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new Error(`Databricks host "${host}" must be just scheme://host[:port], without credentials, path or query`);
  }
  return `${url.protocol}//${url.host}`;
}

/** A small JSON client for the Databricks REST API: bearer auth, per-request timeouts, retries with full jitter. */
export class DatabricksClient {
  readonly host: string;
  private readonly tokenSource: TokenProvider;
  private readonly knownTokens = new Set<string>();
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly maxElapsedMs: number;
  private readonly backoff: { baseDelayMs: number; maxDelayMs: number };
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly onRetry?: (notice: RetryNotice) => void;

  constructor(options: DatabricksClientOptions) {
    this.host = normaliseWorkspaceHost(options.host);
    const { token } = options;
    if (typeof token === 'string') {
      if (token.trim() === '') throw new Error('Databricks token is empty: set DATABRICKS_TOKEN (from the secret)');
      this.knownTokens.add(token);
      this.tokenSource = () => Promise.resolve(token);
    } else {
      this.tokenSource = token;
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 6);
    this.maxElapsedMs = options.maxElapsedMs ?? 120_000;
    this.backoff = { baseDelayMs: options.baseDelayMs ?? 500, maxDelayMs: options.maxDelayMs ?? 20_000 };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetch ?? fetch;
    this.onRetry = options.onRetry;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** Unity Catalog permission changes: adding or removing a privilege twice leaves the same grants, so retrying is safe. */
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  /**
   * Sends one logical request, retrying 429 (after its Retry-After), 5xx, network errors and timeouts until
   * maxAttempts or maxElapsedMs; then throws EngineUnavailableError. Other statuses throw DatabricksApiError.
   * Only use it for requests that are safe to repeat (idempotent, or carrying an idempotency token).
   */
  async request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
    if (!path.startsWith('/api/')) throw new Error(`Databricks API path must start with /api/, got "${path}"`);
    const started = this.now();
    let lastStatus: number | undefined;
    let lastReason = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const outcome = await this.attempt(method, path, options);
      if (outcome.kind === 'ok') return outcome.value as T;
      if (outcome.kind === 'fail') throw outcome.error;
      lastStatus = outcome.status;
      lastReason = outcome.reason;
      if (attempt === this.maxAttempts) break;
      const waitMs = outcome.retryAfterMs ?? fullJitterDelayMs(attempt, this.backoff, this.random);
      if (this.now() - started + waitMs > this.maxElapsedMs) {
        throw new EngineUnavailableError(
          `Databricks ${method} ${path} unavailable: ${lastReason}; the next retry (in ${waitMs} ms) would exceed ` +
            `the ${this.maxElapsedMs} ms budget after ${attempt} attempt(s)`,
          attempt,
          lastStatus,
        );
      }
      this.onRetry?.({ method, path, attempt, status: outcome.status, waitMs, reason: outcome.reason });
      await this.sleep(waitMs);
    }
    throw new EngineUnavailableError(
      `Databricks ${method} ${path} unavailable after ${this.maxAttempts} attempt(s): ${lastReason}`,
      this.maxAttempts,
      lastStatus,
    );
  }

  private async attempt(method: string, path: string, options: RequestOptions): Promise<Attempt> {
    const url = new URL(path, this.host);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const token = await this.tokenSource();
    this.knownTokens.add(token);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return { kind: 'retry', reason: this.describeNetworkError(error) };
    }
    if (response.ok) {
      if (text.trim() === '') return { kind: 'ok', value: {} };
      try {
        return { kind: 'ok', value: JSON.parse(text) as unknown };
      } catch {
        return { kind: 'retry', status: response.status, reason: `response to ${method} ${path} was not JSON` };
      }
    }
    const { errorCode, message } = this.parseErrorBody(text, response.statusText);
    const summary = `${response.status}${errorCode ? ` ${errorCode}` : ''}: ${message}`;
    if (isRetryableStatus(response.status)) {
      return {
        kind: 'retry',
        status: response.status,
        retryAfterMs: response.status === 429 || response.status === 503
          ? parseRetryAfterMs(response.headers.get('retry-after'), this.now())
          : undefined,
        reason: summary,
      };
    }
    return {
      kind: 'fail',
      error: new DatabricksApiError(`Databricks ${method} ${path} failed with ${summary}`, response.status, errorCode),
    };
  }

  private parseErrorBody(text: string, statusText: string): { errorCode?: string; message: string } {
    try {
      const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown; error?: unknown };
      const errorCode = typeof parsed.error_code === 'string' ? parsed.error_code : undefined;
      const rawMessage = typeof parsed.message === 'string' ? parsed.message
        : typeof parsed.error === 'string' ? parsed.error : statusText;
      return { errorCode, message: this.scrub(rawMessage).slice(0, 2000) };
    } catch {
      return { message: this.scrub(text.trim() === '' ? statusText : text).slice(0, 300) };
    }
  }

  private describeNetworkError(error: unknown): string {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return `no response within ${this.requestTimeoutMs} ms`;
    }
    const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : '';
    const message = error instanceof Error ? error.message : String(error);
    return this.scrub(`network error${code ? ` ${code}` : ''}: ${message}`);
  }

  /** Removes every token this client has used from text that may end up in an error or a log. */
  scrub(text: string): string {
    let result = text;
    for (const token of this.knownTokens) {
      if (token.length >= 4) result = result.split(token).join('[REDACTED]');
    }
    return result;
  }
}
