/**
 * Where a runtime pass runs, read from the environment. Shared by `cleanroom runtime serve` (Cloud Run) and
 * `cleanroom runtime tick` / `watch` (a terminal or a Cloud Run Job), so both read the same variables the same way:
 *
 *   CLEANROOM_ENGINE      databricks (default, deployed) | local (rehearsal: folders and DuckDB)
 *
 * With CLEANROOM_ENGINE=databricks (buckets are Cloud Storage, credentials from the caller's Google identity):
 *   DATABRICKS_TOKEN                  the clean room workspace token; never echoed
 *   DATABRICKS_TOKEN_FILE             or the file holding it (the stack mounts the Secret Manager secret there), read
 *                                     again at each use: the service starts before a token exists, and a rotated
 *                                     token needs no restart. One of the two is required.
 *   DATABRICKS_HOST                   optional: the clean room workspace URL (default: databricks.host of cleanroom.yaml)
 *   CLEANROOM_DATABRICKS_WAREHOUSE_ID required: the runtime SQL warehouse (datasets as <participant>.<table>)
 *   CLEANROOM_DATABRICKS_POLICY_IDS   required: JSON object compute size → cluster policy id, e.g. {"2X-Small":"0012AB"}
 *   CLEANROOM_DATABRICKS_CATALOG      optional: the clean room's Unity Catalog catalog, set by the stack (default:
 *                                     databricks.catalog of cleanroom.yaml)
 *   CLEANROOM_DATABRICKS_JOB_PRINCIPALS optional: the job principals participant code runs as (runs/submit run_as),
 *                                     application ids separated by commas, set by the stack: each run holds one alone,
 *                                     granted only its reads and its staging volume; unset, code runs as the runtime's
 *                                     own principal. CLEANROOM_DATABRICKS_JOB_PRINCIPAL (one) is a pool of one.
 *   CLEANROOM_GCS_API_ENDPOINT        optional: Cloud Storage JSON API endpoint (emulators); default the public one
 * With CLEANROOM_ENGINE=local:
 *   CLEANROOM_LOCAL_ROOT              required: gs://<bucket>/... is <root>/gs/<bucket>/...
 */
import type { CleanroomConfig } from '../config';
import { normaliseWorkspaceHost } from '../engines/databricks/databricks-client';
import { MAX_JOB_PRINCIPALS } from '../engines/databricks/run-access-names';

export interface DatabricksDeploymentSettings {
  kind: 'databricks';
  /** Normalised workspace URL; undefined: databricks.host of the clean room config. */
  host?: string;
  /** The token itself (DATABRICKS_TOKEN); exactly one of `token` and `tokenFile` is set. */
  token?: string;
  /** The file holding the token (DATABRICKS_TOKEN_FILE), read at each use (see token-file.ts). */
  tokenFile?: string;
  warehouseId: string;
  /** Compute size → cluster policy id. */
  policyIds: Record<string, string>;
  /** The clean room's catalog as the stack declared it; undefined: databricks.catalog of the clean room config. */
  catalog?: string;
  /** The job principals (service principal application ids or user emails) participant code runs as, one per run. */
  jobPrincipals?: string[];
  gcsApiEndpoint?: string;
}

export interface LocalDeploymentSettings {
  kind: 'local';
  localRoot: string;
}

export type DeploymentSettings = DatabricksDeploymentSettings | LocalDeploymentSettings;

export type DeploymentEnv = Readonly<Record<string, string | undefined>>;

/** The settings, or one problem per missing or invalid variable, each naming it (the token's value is never echoed). */
export type DeploymentSettingsResult = { ok: true; settings: DeploymentSettings } | { ok: false; problems: string[] };

const WAREHOUSE_ID = /^[A-Za-z0-9-]{1,64}$/;
const JOB_PRINCIPAL = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^\s@]{1,128}@[^\s@]{1,255})$/i;
/** As `databricks.catalog` of the config schema. */
const CATALOG_NAME = /^[a-z][a-z0-9_]{2,62}$/;
const POLICY_ID = /^[A-Za-z0-9-]{1,64}$/;

export function readDeploymentSettings(env: DeploymentEnv): DeploymentSettingsResult {
  const kind = env.CLEANROOM_ENGINE?.trim() || 'databricks';
  if (kind === 'local') {
    const localRoot = env.CLEANROOM_LOCAL_ROOT?.trim() ?? '';
    if (localRoot === '') {
      return fail(['CLEANROOM_LOCAL_ROOT is not set: with CLEANROOM_ENGINE=local, set it to the folder where gs://<bucket>/... is <root>/gs/<bucket>/...']);
    }
    return { ok: true, settings: { kind: 'local', localRoot } };
  }
  if (kind !== 'databricks') {
    return fail([`CLEANROOM_ENGINE "${kind.slice(0, 40)}" is not an engine: set it to databricks (deployed, the default) or local (rehearsal)`]);
  }
  return readDatabricksSettings(env);
}

function readDatabricksSettings(env: DeploymentEnv): DeploymentSettingsResult {
  const problems: string[] = [];
  const token = env.DATABRICKS_TOKEN?.trim() ?? '';
  const tokenFile = env.DATABRICKS_TOKEN_FILE?.trim() ?? '';
  if (token === '' && tokenFile === '') {
    problems.push(
      'DATABRICKS_TOKEN is not set: set DATABRICKS_TOKEN_FILE to the file of the mounted Databricks token secret (as the stack does), or DATABRICKS_TOKEN to the token',
    );
  } else if (token !== '' && tokenFile !== '') {
    problems.push('DATABRICKS_TOKEN and DATABRICKS_TOKEN_FILE are both set: keep one (the stack sets DATABRICKS_TOKEN_FILE)');
  } else if (tokenFile !== '' && !tokenFile.startsWith('/')) {
    problems.push(`DATABRICKS_TOKEN_FILE "${tokenFile.slice(0, 120)}" is not an absolute path`);
  }
  const catalog = env.CLEANROOM_DATABRICKS_CATALOG?.trim() ?? '';
  if (catalog !== '' && !CATALOG_NAME.test(catalog)) {
    problems.push(`CLEANROOM_DATABRICKS_CATALOG "${catalog.slice(0, 80)}" is not a catalog name (3-63 lowercase letters, digits and "_", starting with a letter)`);
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
  const jobPrincipals = readJobPrincipals(env, problems);
  if (problems.length > 0 || policyIds === undefined) return fail(problems);
  return {
    ok: true,
    settings: {
      kind: 'databricks',
      ...(host ? { host } : {}),
      ...(token !== '' ? { token } : { tokenFile }),
      warehouseId,
      policyIds,
      ...(catalog !== '' ? { catalog } : {}),
      ...(jobPrincipals.length > 0 ? { jobPrincipals } : {}),
      ...(gcsApiEndpoint ? { gcsApiEndpoint } : {}),
    },
  };
}

/** The pool, from CLEANROOM_DATABRICKS_JOB_PRINCIPALS (comma-separated) or the older single CLEANROOM_DATABRICKS_JOB_PRINCIPAL. */
function readJobPrincipals(env: DeploymentEnv, problems: string[]): string[] {
  const list = env.CLEANROOM_DATABRICKS_JOB_PRINCIPALS?.trim() ?? '';
  const single = env.CLEANROOM_DATABRICKS_JOB_PRINCIPAL?.trim() ?? '';
  if (list !== '' && single !== '') {
    problems.push('CLEANROOM_DATABRICKS_JOB_PRINCIPALS and CLEANROOM_DATABRICKS_JOB_PRINCIPAL are both set: keep CLEANROOM_DATABRICKS_JOB_PRINCIPALS only');
    return [];
  }
  const name = list !== '' ? 'CLEANROOM_DATABRICKS_JOB_PRINCIPALS' : 'CLEANROOM_DATABRICKS_JOB_PRINCIPAL';
  const principals = (list !== '' ? list.split(',') : single !== '' ? [single] : []).map((p) => p.trim());
  const bad = principals.filter((p) => !JOB_PRINCIPAL.test(p));
  if (bad.length > 0) {
    problems.push(`${name}: ${bad.slice(0, 3).map((p) => JSON.stringify(p.slice(0, 80))).join(', ')} ${bad.length === 1 ? 'is' : 'are'} neither a service principal application id nor a user email`);
  } else if (new Set(principals.map((p) => p.toLowerCase())).size !== principals.length) {
    problems.push(`${name} lists a principal twice: each run must hold its principal alone`);
  } else if (principals.length > MAX_JOB_PRINCIPALS) {
    problems.push(`${name} lists ${principals.length} principals, more than ${MAX_JOB_PRINCIPALS}`);
  }
  return principals;
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

/**
 * Problems of a valid clean room config with these settings: every compute size the clean room offers needs a
 * cluster policy, else a run of that size could never start.
 */
export function deploymentProblems(cleanroom: Pick<CleanroomConfig, 'computeSizes' | 'databricks'>, settings: DeploymentSettings): string[] {
  if (settings.kind !== 'databricks') return [];
  const missing = cleanroom.computeSizes.filter((size) => !Object.prototype.hasOwnProperty.call(settings.policyIds, size));
  const problems = missing.map(
    (size) =>
      `CLEANROOM_DATABRICKS_POLICY_IDS has no cluster policy for compute size "${size}" offered by cleanroom.yaml ` +
      `(it has: ${Object.keys(settings.policyIds).join(', ')}); redeploy the stack, which sets it from the declared policies`,
  );
  if (settings.catalog !== undefined && settings.catalog !== cleanroom.databricks.catalog) {
    problems.push(
      `CLEANROOM_DATABRICKS_CATALOG is "${settings.catalog}" but cleanroom.yaml names the catalog "${cleanroom.databricks.catalog}"; ` +
        'redeploy the cleanroom stack, which declares the catalog and sets the variable',
    );
  }
  return problems;
}

/** The clean room's catalog: the one the stack declared, else the config's. */
export function databricksCatalog(cleanroom: Pick<CleanroomConfig, 'databricks'>, settings: DatabricksDeploymentSettings): string {
  return settings.catalog ?? cleanroom.databricks.catalog;
}

function fail(problems: string[]): DeploymentSettingsResult {
  return { ok: false, problems };
}
