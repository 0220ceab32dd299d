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
 * CLEANROOM_ENGINE=databricks reads DATABRICKS_TOKEN (registered with the logger so its value is never logged),
 * DATABRICKS_HOST, CLEANROOM_DATABRICKS_WAREHOUSE_ID, CLEANROOM_DATABRICKS_POLICY_IDS and CLEANROOM_GCS_API_ENDPOINT;
 * CLEANROOM_ENGINE=local reads CLEANROOM_LOCAL_ROOT: see src/deployment/settings.ts, shared with `runtime tick`/`watch`.
 */
import { readDeploymentSettings, type DatabricksDeploymentSettings, type DeploymentSettings, type LocalDeploymentSettings } from '../deployment';

export type DatabricksServeSettings = DatabricksDeploymentSettings;
export type LocalServeSettings = LocalDeploymentSettings;
export type EngineServeSettings = DeploymentSettings;

export interface ServeConfig {
  port: number;
  configDir: string;
  audience: string;
  invokers: string[];
  /** CLEANROOM_IAM_CHECKED=true: Cloud Run checks callers' IAM first, so tokens it passes on unsigned are accepted. */
  iamChecked: boolean;
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
  const iamText = env.CLEANROOM_IAM_CHECKED?.trim().toLowerCase() ?? '';
  if (!['', 'true', 'false'].includes(iamText)) problems.push(`CLEANROOM_IAM_CHECKED "${iamText.slice(0, 20)}" must be true or false`);
  const deployment = readDeploymentSettings(env);
  if (!deployment.ok) problems.push(...deployment.problems);
  if (problems.length > 0 || !deployment.ok) return { ok: false, problems };
  const engine = deployment.settings;
  const token = env.DATABRICKS_TOKEN?.trim();
  return {
    ok: true,
    config: {
      port,
      configDir: env.CLEANROOM_CONFIG_DIR?.trim() || '.',
      audience,
      invokers,
      iamChecked: iamText === 'true',
      databricksToken: token ? token : undefined,
      project: env.GOOGLE_CLOUD_PROJECT?.trim() || undefined,
      engine,
    },
  };
}
