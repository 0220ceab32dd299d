/**
 * `cleanroom doctor`: with the caller's own credentials, checks what a deploy and a running clean room need and says
 * how to fix each problem. The operator runs it for the clean room; a participant runs it with `--participant` for
 * its own side (its project, bucket and workspace), needing no access to anyone else's.
 *
 * Credentials: Google from GOOGLE_OAUTH_ACCESS_TOKEN (as the google Terraform provider reads it) or application
 * default credentials; Databricks from DATABRICKS_TOKEN or DATABRICKS_TOKEN_FILE, for the workspace of the side
 * checked (DATABRICKS_HOST overrides it). CLEANROOM_GOOGLE_API_ROOT points every Google API at one root (a local fake
 * or emulator).
 */
import { GoogleAuth } from 'google-auth-library';
import { loadConfig, type CleanroomConfig, type ParticipantConfig } from '../config';
import { DatabricksClient } from '../engines/databricks';
import { databricksToken } from '../deployment/token-file';
import { DatabricksAdmin } from './databricks-admin';
import { cleanroomChecks } from './cleanroom-checks';
import { participantChecks } from './participant-checks';
import { ok, problem, type Finding } from './findings';
import { GoogleApi, rootsUnder } from './google-api';

export { formatFindings, type Finding, type FindingStatus } from './findings';

export interface DoctorOptions {
  readonly configDir: string;
  /** Check this participant's side instead of the clean room's. */
  readonly participant?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Injected clients (tests); otherwise built from the environment. */
  readonly google?: GoogleApi;
  readonly databricks?: DatabricksAdmin;
}

export interface DoctorReport {
  readonly title: string;
  readonly findings: Finding[];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const config = await loadConfig(options.configDir);
  const participant = options.participant === undefined ? undefined : findParticipant(config, options.participant);
  const findings: Finding[] = [ok('configuration', `${options.configDir} is valid`)];

  const google = options.google ?? (await googleFromEnv(options.env, findings));
  const host = options.env.DATABRICKS_HOST?.trim() || (participant ? participant.databricks.host : config.databricks.host);
  const databricks = options.databricks ?? databricksFromEnv(options.env, host, findings);

  if (participant) {
    findings.push(...(await participantChecks(config, participant, { google, databricks })));
    return { title: `cleanroom doctor: participant "${participant.name}" of clean room "${config.name}" (project ${participant.gcp.project})`, findings };
  }
  findings.push(...(await cleanroomChecks(config, { google, databricks })));
  return { title: `cleanroom doctor: clean room "${config.name}" (project ${config.gcp.project}, ${config.gcp.region})`, findings };
}

function findParticipant(config: CleanroomConfig, name: string): ParticipantConfig {
  const participant = config.participants.find((p) => p.name === name);
  if (!participant) throw new Error(`no participant "${name.slice(0, 40)}" in the configuration (participants: ${config.participants.map((p) => p.name).join(', ')})`);
  return participant;
}

async function googleFromEnv(env: DoctorOptions['env'], findings: Finding[]): Promise<GoogleApi | undefined> {
  const explicit = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  const root = env.CLEANROOM_GOOGLE_API_ROOT?.trim();
  let token: () => Promise<string>;
  if (explicit) {
    token = () => Promise.resolve(explicit);
  } else {
    const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
    token = async () => {
      const value = await auth.getAccessToken();
      if (!value) throw new Error('no access token');
      return value;
    };
  }
  try {
    await token();
  } catch (error) {
    findings.push(problem('Google credentials', `none found (${(error as Error).message.split('\n')[0]}); Google Cloud checks skipped`, 'gcloud auth application-default login, or set GOOGLE_OAUTH_ACCESS_TOKEN'));
    return undefined;
  }
  findings.push(ok('Google credentials', explicit ? 'GOOGLE_OAUTH_ACCESS_TOKEN' : 'application default credentials'));
  return new GoogleApi({ token, ...(root ? { roots: rootsUnder(root) } : {}) });
}

function databricksFromEnv(env: DoctorOptions['env'], host: string, findings: Finding[]): DatabricksAdmin | undefined {
  const value = env.DATABRICKS_TOKEN?.trim();
  const file = env.DATABRICKS_TOKEN_FILE?.trim();
  if (!value && !file) {
    findings.push(problem(`Databricks credentials for ${host}`, 'none: Databricks checks skipped', 'set DATABRICKS_TOKEN to a token of a workspace admin (or DATABRICKS_TOKEN_FILE to a file holding it)'));
    return undefined;
  }
  try {
    const client = new DatabricksClient({ host, token: databricksToken(value ? { token: value } : { tokenFile: file }), maxAttempts: 3, maxElapsedMs: 30_000 });
    findings.push(ok(`Databricks credentials for ${client.host}`, value ? 'DATABRICKS_TOKEN' : 'DATABRICKS_TOKEN_FILE'));
    return new DatabricksAdmin(client);
  } catch (error) {
    findings.push(problem(`Databricks credentials for ${host}`, (error as Error).message, 'set DATABRICKS_HOST to the https:// workspace URL'));
    return undefined;
  }
}
