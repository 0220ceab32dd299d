/**
 * The Databricks token read from a file: the deployed service gets it as a Secret Manager secret mounted as a volume,
 * which Cloud Run reads from Secret Manager, at its latest version, each time the file is read
 * (https://cloud.google.com/run/docs/configuring/services/secrets). So the service starts before anyone has added the
 * token, and a rotated token is picked up without a new revision. Each read costs a Secret Manager access, so the
 * value is kept for a short while.
 */
import { promises as fs } from 'node:fs';
import type { TokenProvider } from '../engines/databricks';
import { EngineUnavailableError } from '../engines/errors';

export interface TokenFileOptions {
  /** How long a read value is reused. Default 60 s. */
  ttlMs?: number;
  /** Called with every value read, so logs can redact it. */
  onToken?: (token: string) => void;
  now?: () => number;
  readFile?: (file: string) => Promise<Buffer>;
}

/** A personal access token or an OAuth token is far smaller; anything larger is not a token. */
const MAX_TOKEN_BYTES = 16 * 1024;

/**
 * A token provider reading `file`. A missing, empty or unreadable file (no secret version yet, Secret Manager
 * unreachable) is an outage, never a failed run: it throws EngineUnavailableError, so the runtime retries next pass.
 */
export function fileTokenProvider(file: string, options: TokenFileOptions = {}): TokenProvider {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const readFile = options.readFile ?? ((path: string) => fs.readFile(path));
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.token;
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      cached = undefined;
      const code = (error as NodeJS.ErrnoException).code;
      throw new EngineUnavailableError(
        `the Databricks token file ${file} cannot be read (${code ?? (error as Error).message}): if the secret has no version yet, ` +
          'add the token with `gcloud secrets versions add <clean room>-databricks-token --data-file=-`; passes resume once it is readable',
        1,
      );
    }
    const token = bytes.length > MAX_TOKEN_BYTES ? '' : bytes.toString('utf8').trim();
    if (token === '' || /\s/.test(token)) {
      cached = undefined;
      throw new EngineUnavailableError(
        `the Databricks token file ${file} does not hold a token (${bytes.length === 0 ? 'empty' : bytes.length > MAX_TOKEN_BYTES ? 'too large' : 'not a single token'}): ` +
          'add the token as a new version of the secret (`gcloud secrets versions add <clean room>-databricks-token --data-file=-`)',
        1,
      );
    }
    options.onToken?.(token);
    cached = { token, until: now() + ttlMs };
    return token;
  };
}

/** The engine's token: the literal DATABRICKS_TOKEN, else a provider reading DATABRICKS_TOKEN_FILE. */
export function databricksToken(settings: { token?: string; tokenFile?: string }, options: TokenFileOptions = {}): string | TokenProvider {
  if (settings.token !== undefined) return settings.token;
  if (settings.tokenFile !== undefined) return fileTokenProvider(settings.tokenFile, options);
  throw new Error('Databricks settings without DATABRICKS_TOKEN or DATABRICKS_TOKEN_FILE');
}
