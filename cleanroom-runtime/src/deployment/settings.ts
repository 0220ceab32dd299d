/**
 * Where a runtime pass runs, read from the environment. Shared by `cleanroom runtime serve` (Cloud Run) and
 * `cleanroom runtime tick` / `watch` (a terminal or a Cloud Run Job), so both read the same variables the same way:
 *
 *   CLEANROOM_ENGINE      databricks (default, deployed) | local (rehearsal: folders and DuckDB)
 *
 * With CLEANROOM_ENGINE=databricks (buckets are Cloud Storage, credentials from the caller's Google identity):
 *   DATABRICKS_TOKEN                  required: the clean room workspace token (Secret Manager); never echoed
 *   DATABRICKS_HOST                   optional: the clean room workspace URL (default: databricks.host of cleanroom.yaml)
 *   CLEANROOM_DATABRICKS_WAREHOUSE_ID required: the runtime SQL warehouse (datasets as <participant>.<table>)
 *   CLEANROOM_DATABRICKS_POLICY_IDS   required: JSON object compute size → cluster policy id, e.g. {"2X-Small":"0012AB"}
 *   CLEANROOM_GCS_API_ENDPOINT        optional: Cloud Storage JSON API endpoint (emulators); default the public one
 * With CLEANROOM_ENGINE=local:
 *   CLEANROOM_LOCAL_ROOT              required: gs://<bucket>/... is <root>/gs/<bucket>/...
 */
import type { CleanroomConfig } from '../config';
import { normaliseWorkspaceHost } from '../engines/databricks/databricks-client';

export interface DatabricksDeploymentSettings {
  kind: 'databricks';
  /** Normalised workspace URL; undefined: databricks.host of the clean room config. */
  host?: string;
  token: string;
  warehouseId: string;
  /** Compute size → cluster policy id. */
  policyIds: Record<string, string>;
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
  if (problems.length > 0 || policyIds === undefined) return fail(problems);
  return {
    ok: true,
    settings: { kind: 'databricks', ...(host ? { host } : {}), token, warehouseId, policyIds, ...(gcsApiEndpoint ? { gcsApiEndpoint } : {}) },
  };
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
export function deploymentProblems(cleanroom: Pick<CleanroomConfig, 'computeSizes'>, settings: DeploymentSettings): string[] {
  if (settings.kind !== 'databricks') return [];
  const missing = cleanroom.computeSizes.filter((size) => !Object.prototype.hasOwnProperty.call(settings.policyIds, size));
  return missing.map(
    (size) =>
      `CLEANROOM_DATABRICKS_POLICY_IDS has no cluster policy for compute size "${size}" offered by cleanroom.yaml ` +
      `(it has: ${Object.keys(settings.policyIds).join(', ')}); redeploy the stack, which sets it from the declared policies`,
  );
}

function fail(problems: string[]): DeploymentSettingsResult {
  return { ok: false, problems };
}
