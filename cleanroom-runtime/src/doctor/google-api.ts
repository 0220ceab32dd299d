/**
 * A small JSON client for the Google Cloud REST APIs `cleanroom doctor` reads (Service Usage, Resource Manager,
 * Cloud Storage, Cloud Run, Cloud Scheduler, Secret Manager). Read-only calls and testIamPermissions, which are safe
 * to repeat: 429 and 5xx are retried (honouring Retry-After), other errors are typed with Google's error status and
 * reason (https://cloud.google.com/apis/design/errors).
 */
import { fullJitterDelayMs, isRetryableStatus, parseRetryAfterMs } from '../engines/databricks/retry-policy';

export const GOOGLE_SERVICES = ['serviceusage', 'cloudresourcemanager', 'storage', 'run', 'cloudscheduler', 'secretmanager'] as const;
export type GoogleService = (typeof GOOGLE_SERVICES)[number];

/** Public endpoints; `storage` paths start with /storage/v1 as in the JSON API. */
export const GOOGLE_API_ROOTS: Readonly<Record<GoogleService, string>> = {
  serviceusage: 'https://serviceusage.googleapis.com',
  cloudresourcemanager: 'https://cloudresourcemanager.googleapis.com',
  storage: 'https://storage.googleapis.com',
  run: 'https://run.googleapis.com',
  cloudscheduler: 'https://cloudscheduler.googleapis.com',
  secretmanager: 'https://secretmanager.googleapis.com',
};

/** Every service under one root (a local fake or emulator): `<root>/<service>/<path>`. */
export function rootsUnder(root: string): Record<GoogleService, string> {
  const base = root.replace(/\/$/, '');
  return Object.fromEntries(GOOGLE_SERVICES.map((service) => [service, `${base}/${service}`])) as Record<GoogleService, string>;
}

/** A definitive error answer of a Google API. */
export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';
  constructor(
    message: string,
    readonly status: number,
    /** `error.status`, e.g. PERMISSION_DENIED, NOT_FOUND. */
    readonly code: string | undefined,
    /** `ErrorInfo.reason` of `error.details`, e.g. SERVICE_DISABLED; or the JSON API's `errors[0].reason`. */
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

/** The API could not be reached, or kept answering 429/5xx. */
export class GoogleApiUnavailableError extends Error {
  override readonly name = 'GoogleApiUnavailableError';
}

export interface GoogleApiOptions {
  /** An OAuth access token for cloud-platform (application default credentials, or GOOGLE_OAUTH_ACCESS_TOKEN). */
  token: () => Promise<string>;
  roots?: Partial<Record<GoogleService, string>>;
  fetch?: typeof fetch;
  maxAttempts?: number;
  requestTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** At most this much of a response body is read: the doctor's answers are small. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class GoogleApi {
  private readonly roots: Record<GoogleService, string>;
  private readonly fetchImpl: typeof fetch;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: GoogleApiOptions) {
    this.roots = { ...GOOGLE_API_ROOTS, ...options.roots };
    this.fetchImpl = options.fetch ?? fetch;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  get<T>(service: GoogleService, path: string): Promise<T> {
    return this.request<T>(service, 'GET', path);
  }

  post<T>(service: GoogleService, path: string, body: unknown): Promise<T> {
    return this.request<T>(service, 'POST', path, body);
  }

  private async request<T>(service: GoogleService, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.roots[service]}${path}`;
    let last = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let response: Response;
      let text: string;
      try {
        response = await this.fetchImpl(url, {
          method,
          headers: { Authorization: `Bearer ${await this.options.token()}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await boundedText(response);
      } catch (error) {
        last = `${method} ${service} ${path}: ${(error as Error).message}`;
        if (attempt < this.maxAttempts) await this.sleep(fullJitterDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: 8_000 }, this.random));
        continue;
      }
      if (response.ok) return (text.trim() === '' ? {} : JSON.parse(text)) as T;
      const parsed = parseError(text);
      const message = `${method} ${service} ${path} answered ${response.status}${parsed.code ? ` ${parsed.code}` : ''}: ${parsed.message}`;
      if (!isRetryableStatus(response.status)) throw new GoogleApiError(message, response.status, parsed.code, parsed.reason);
      last = message;
      if (attempt < this.maxAttempts) {
        const retryAfter = parseRetryAfterMs(response.headers.get('retry-after'), this.now());
        await this.sleep(Math.min(retryAfter ?? fullJitterDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: 8_000 }, this.random), 30_000));
      }
    }
    throw new GoogleApiUnavailableError(`${last} (after ${this.maxAttempts} attempts)`);
  }
}

/** Reads the body up to MAX_RESPONSE_BYTES, then stops reading. */
async function boundedText(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface ErrorBody {
  error?: {
    message?: unknown;
    status?: unknown;
    details?: Array<{ '@type'?: unknown; reason?: unknown }>;
    errors?: Array<{ reason?: unknown }>;
  };
}

function parseError(text: string): { message: string; code?: string; reason?: string } {
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    const info = error?.details?.find((d) => typeof d['@type'] === 'string' && d['@type'].endsWith('google.rpc.ErrorInfo'));
    const reason = typeof info?.reason === 'string' ? info.reason : typeof error?.errors?.[0]?.reason === 'string' ? error.errors[0].reason : undefined;
    return {
      message: typeof error?.message === 'string' ? error.message.slice(0, 500) : text.slice(0, 200),
      code: typeof error?.status === 'string' ? error.status : undefined,
      reason,
    };
  } catch {
    return { message: text.slice(0, 200) };
  }
}
