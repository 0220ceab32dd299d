/**
 * Configuration of `cleanroom runtime serve`, read from the environment that Cloud Run gives the container:
 *
 *   PORT                  port to listen on (set by Cloud Run; default 8080)
 *   CLEANROOM_CONFIG_DIR  folder holding cleanroom.yaml and participants/ (default: current directory)
 *   CLEANROOM_AUDIENCE    the `aud` callers' ID tokens must carry: the service URL, as set on the Scheduler
 *                         job's and the push subscription's OIDC token
 *   CLEANROOM_INVOKERS    comma-separated service account emails allowed to call (Scheduler, Pub/Sub push)
 *   GOOGLE_CLOUD_PROJECT  optional: links request logs to Cloud Trace
 *   CLEANROOM_LOG_LEVEL   optional: DEBUG | INFO (default) | NOTICE | WARNING | ERROR
 *   CLEANROOM_ENGINE      databricks (default, deployed) | local (rehearsal: folders and DuckDB)
 *   CLEANROOM_CONFIG_HASH not read: set by the stack to the config files' hash so a config change is a new revision
 *                         (the folder is re-read at every pass anyway, see runtime-pass-adapter.ts)
 *
 * With CLEANROOM_ENGINE=databricks (buckets are Cloud Storage, credentials from the service's identity):
 *   DATABRICKS_TOKEN                  required: the token, mounted from Secret Manager as a secret env var;
 *                                     registered with the logger so its value is never logged
 *   DATABRICKS_HOST                   optional: the clean room workspace URL (default: databricks.host of cleanroom.yaml)
 *   CLEANROOM_DATABRICKS_WAREHOUSE_ID required: the runtime SQL warehouse (datasets as <participant>.<table>)
 *   CLEANROOM_DATABRICKS_POLICY_IDS   required: JSON object compute size → cluster policy id, e.g. {"2X-Small":"0012AB"}
 *   CLEANROOM_GCS_API_ENDPOINT        optional: Cloud Storage JSON API endpoint (emulators); default the public one
 * With CLEANROOM_ENGINE=local:
 *   CLEANROOM_LOCAL_ROOT              required: gs://<bucket>/... is <root>/gs/<bucket>/...
 */
import { normaliseWorkspaceHost } from '../engines/databricks/databricks-client';

export interface DatabricksServeSettings {
  kind: 'databricks';
  /** Normalised workspace URL; undefined: databricks.host of the clean room config. */
  host?: string;
  token: string;
  warehouseId: string;
  /** Compute size → cluster policy id. */
  policyIds: Record<string, string>;
  gcsApiEndpoint?: string;
}

export interface LocalServeSettings {
  kind: 'local';
  localRoot: string;
}

export type EngineServeSettings = DatabricksServeSettings | LocalServeSettings;

export interface ServeConfig {
  port: number;
  configDir: string;
  audience: string;
  invokers: string[];
  databricksToken?: string;
  project?: string;
  engine: EngineServeSettings;
}

export type ServeConfigResult = { ok: true; config: ServeConfig } | { ok: false; problems: string[] };

const SERVICE_ACCOUNT_EMAIL = /^[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com$|^[a-z0-9-]+@(appspot|developer)\.gserviceaccount\.com$|^service-\d+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com$/;

export function readServeConfig(env: Readonly<Record<string, string | undefined>>, portOverride?: string): ServeConfigResult {
  const problems: string[] = [];
  const portText = portOverride ?? env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) problems.push(`port "${portText}" is not a TCP port (1-65535); set PORT or --port`);

  const audience = env.CLEANROOM_AUDIENCE?.trim() ?? '';
  if (audience === '') {
    problems.push('CLEANROOM_AUDIENCE is not set: set it to the service URL (the audience of the Scheduler and Pub/Sub OIDC tokens)');
  }
  const invokers = (env.CLEANROOM_INVOKERS ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (invokers.length === 0) {
    problems.push('CLEANROOM_INVOKERS is not set: list the service account emails allowed to trigger passes, comma-separated');
  }
  for (const email of invokers) {
    if (!SERVICE_ACCOUNT_EMAIL.test(email)) problems.push(`CLEANROOM_INVOKERS: "${email}" is not a service account email (…@<project>.iam.gserviceaccount.com)`);
  }
  const engine = readEngineSettings(env, problems);
  if (problems.length > 0 || engine === undefined) return { ok: false, problems };
  const token = env.DATABRICKS_TOKEN?.trim();
  return {
    ok: true,
    config: {
      port,
      configDir: env.CLEANROOM_CONFIG_DIR?.trim() || '.',
      audience,
      invokers,
      databricksToken: token ? token : undefined,
      project: env.GOOGLE_CLOUD_PROJECT?.trim() || undefined,
      engine,
    },
  };
}

const WAREHOUSE_ID = /^[A-Za-z0-9-]{1,64}$/;
const POLICY_ID = /^[A-Za-z0-9-]{1,64}$/;

/** Reads the engine's settings, pushing one problem per missing or invalid variable (never echoing the token). */
function readEngineSettings(env: Readonly<Record<string, string | undefined>>, problems: string[]): EngineServeSettings | undefined {
  const kind = env.CLEANROOM_ENGINE?.trim() || 'databricks';
  if (kind === 'local') {
    const localRoot = env.CLEANROOM_LOCAL_ROOT?.trim() ?? '';
    if (localRoot === '') {
      problems.push('CLEANROOM_LOCAL_ROOT is not set: with CLEANROOM_ENGINE=local, set it to the folder where gs://<bucket>/... is <root>/gs/<bucket>/...');
      return undefined;
    }
    return { kind: 'local', localRoot };
  }
  if (kind !== 'databricks') {
    problems.push(`CLEANROOM_ENGINE "${kind}" is not an engine: set it to databricks (deployed, the default) or local (rehearsal)`);
    return undefined;
  }
  const before = problems.length;
  const token = env.DATABRICKS_TOKEN?.trim() ?? '';
  if (token === '') {
    problems.push('DATABRICKS_TOKEN is not set: mount the clean room\'s Databricks token secret (Secret Manager) as DATABRICKS_TOKEN');
  }
  let host: string | undefined;
  const hostText = env.DATABRICKS_HOST?.trim() ?? '';
  if (hostText !== '') {
    try {
      host = normaliseWorkspaceHost(hostText);
    } catch (error) {
      problems.push(`DATABRICKS_HOST: ${(error as Error).message}`);
    }
  }
  const warehouseId = env.CLEANROOM_DATABRICKS_WAREHOUSE_ID?.trim() ?? '';
  if (warehouseId === '') {
    problems.push('CLEANROOM_DATABRICKS_WAREHOUSE_ID is not set: set it to the id of the clean room runtime SQL warehouse');
  } else if (!WAREHOUSE_ID.test(warehouseId)) {
    problems.push(`CLEANROOM_DATABRICKS_WAREHOUSE_ID "${warehouseId.slice(0, 80)}" is not a SQL warehouse id (letters, digits and "-")`);
  }
  const policyIds = readPolicyIds(env.CLEANROOM_DATABRICKS_POLICY_IDS, problems);
  let gcsApiEndpoint: string | undefined;
  const endpointText = env.CLEANROOM_GCS_API_ENDPOINT?.trim() ?? '';
  if (endpointText !== '') {
    if (/^https?:\/\/[^\s/]+\/?$/.test(endpointText)) gcsApiEndpoint = endpointText.replace(/\/$/, '');
    else problems.push(`CLEANROOM_GCS_API_ENDPOINT "${endpointText.slice(0, 80)}" is not an http(s)://host[:port] URL`);
  }
  if (problems.length > before || policyIds === undefined) return undefined;
  return { kind: 'databricks', ...(host ? { host } : {}), token, warehouseId, policyIds, ...(gcsApiEndpoint ? { gcsApiEndpoint } : {}) };
}

function readPolicyIds(text: string | undefined, problems: string[]): Record<string, string> | undefined {
  const example = 'e.g. {"2X-Small":"0012ABCD34EF5678"}';
  if (text === undefined || text.trim() === '') {
    problems.push(`CLEANROOM_DATABRICKS_POLICY_IDS is not set: set it to a JSON object of compute size → cluster policy id, ${example}`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`CLEANROOM_DATABRICKS_POLICY_IDS is not JSON: expected an object of compute size → cluster policy id, ${example}`);
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    problems.push(`CLEANROOM_DATABRICKS_POLICY_IDS must be a non-empty JSON object of compute size → cluster policy id, ${example}`);
    return undefined;
  }
  const policyIds: Record<string, string> = {};
  let valid = true;
  for (const [size, id] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof id !== 'string' || !POLICY_ID.test(id)) {
      problems.push(`CLEANROOM_DATABRICKS_POLICY_IDS: the policy id of "${size.slice(0, 40)}" is not a cluster policy id (a string of letters, digits and "-")`);
      valid = false;
    } else {
      policyIds[size] = id;
    }
  }
  return valid ? policyIds : undefined;
}
