/**
 * Secret redaction for log entries. Three layers, because a secret can reach a log line in three ways:
 * under a key that names it (`{ token: ... }`), inside free text (`Authorization: Bearer ...`, a JWT in a
 * library's error message), or as a known value (the Databricks token from the environment echoed anywhere).
 */

export const REDACTED = '[REDACTED]';

/** Keys whose values are always secret, whatever they hold. */
export const DEFAULT_SECRET_KEY_PATTERN =
  /(token|authorization|password|passwd|secret|api[_-]?key|credential|private[_-]?key|cookie|signature)/i;

/** Shapes of secrets that may appear in free text. */
const SECRET_TEXT_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // `Bearer <anything>` / `Basic <anything>` as in an Authorization header.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // JWTs (ID tokens): base64url header and payload start with `eyJ` (`{"`).
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // Databricks personal access tokens.
  [/\bdapi[0-9a-f]{32}(-\d+)?\b/gi, REDACTED],
  // Google OAuth access tokens.
  [/\bya29\.[A-Za-z0-9._-]+/g, REDACTED],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  // `password=...`, `token: ...` and the like inside text (URLs, connection strings, messages).
  [/\b([A-Za-z_-]*(?:token|password|passwd|secret|api[_-]?key)["']?\s*[=:]\s*["']?)[^\s"'&,;]+/gi, `$1${REDACTED}`],
];

/** Known secret values shorter than this are not registered: redacting them would shred ordinary text. */
export const MIN_SECRET_VALUE_LENGTH = 6;

export interface RedactorOptions {
  /** Keys whose values are replaced wholesale; defaults to DEFAULT_SECRET_KEY_PATTERN. */
  secretKeyPattern?: RegExp;
  /** Literal secret values to remove wherever they appear. */
  secretValues?: readonly string[];
  /** Environment whose secret-named variables (e.g. DATABRICKS_TOKEN) are registered as secret values. */
  env?: Readonly<Record<string, string | undefined>>;
}

export class Redactor {
  private readonly keyPattern: RegExp;
  private readonly values = new Set<string>();

  constructor(options: RedactorOptions = {}) {
    this.keyPattern = options.secretKeyPattern ?? DEFAULT_SECRET_KEY_PATTERN;
    for (const value of options.secretValues ?? []) this.registerSecret(value);
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value !== undefined && this.isSecretKey(name)) this.registerSecret(value);
    }
  }

  /** Adds a value that must never be logged (e.g. a token read from Secret Manager). */
  registerSecret(value: string): void {
    if (value.length >= MIN_SECRET_VALUE_LENGTH) this.values.add(value);
  }

  isSecretKey(key: string): boolean {
    return this.keyPattern.test(key);
  }

  redactText(text: string): string {
    let out = text;
    // Longest first so a secret containing another is removed whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(value).join(REDACTED);
    for (const [pattern, replacement] of SECRET_TEXT_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  /** A JSON-safe, redacted copy of any value (errors become { name, message, stack }; cycles are cut). */
  redactValue(value: unknown, seen: WeakSet<object> = new WeakSet(), depth = 0): unknown {
    if (typeof value === 'string') return this.redactText(value);
    if (typeof value === 'bigint') return value.toString();
    if (value === null || typeof value !== 'object') {
      return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
    }
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (seen.has(value)) return '[Circular]';
    if (depth > 8) return '[Truncated]';
    seen.add(value);
    if (value instanceof Error) return this.redactError(value, seen, depth);
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item, seen, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = this.isSecretKey(key) ? REDACTED : this.redactValue(item, seen, depth + 1);
    }
    return out;
  }

  private redactError(error: Error, seen: WeakSet<object>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = { name: error.name, message: this.redactText(error.message) };
    if (error.stack) out.stack = this.redactText(error.stack);
    // Extra enumerable properties (e.g. `config.headers` of an HTTP client error) are redacted like any object.
    for (const [key, item] of Object.entries(error)) {
      out[key] = this.isSecretKey(key) ? REDACTED : this.redactValue(item, seen, depth + 1);
    }
    if (error.cause !== undefined) out.cause = this.redactValue(error.cause, seen, depth + 1);
    return out;
  }
}
