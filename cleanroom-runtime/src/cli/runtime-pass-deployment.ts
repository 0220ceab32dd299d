/**
 * Where `cleanroom runtime tick` / `watch` run their passes, from flags and the environment:
 *   --local-root <dir>, or CLEANROOM_LOCAL_ROOT without CLEANROOM_ENGINE, or CLEANROOM_ENGINE=local
 *       → local rehearsal: folders + the embedded DuckDB engine (as before);
 *   otherwise → the deployed clean room: Cloud Storage + Databricks, from the same variables as `runtime serve`
 *       (src/deployment/settings.ts), checked the same way.
 */
import { loadConfig, type CleanroomConfig } from '../config';
import {
  buildDeployment,
  deploymentProblems,
  readDeploymentSettings,
  type Deployment,
  type DeploymentEnv,
  type DeploymentOptions,
  type DeploymentSettings,
  type DeploymentTuning,
} from '../deployment';
import type { RetryNotice } from '../engines/databricks';
import { Redactor } from '../logging/redact';
import { EXIT } from './exit-codes';
import { CliError } from './participant/errors';

export interface PassDeployment extends Deployment {
  config: CleanroomConfig;
  /** The folder the config was read from (watch re-reads it before every pass). */
  configDir: string;
  settings: DeploymentSettings;
  /** How the store and engine were built, to rebuild the engine for a reloaded config. */
  options: DeploymentOptions;
  /** Removes the Databricks token (and any other secret of the environment) from text the command prints. */
  redactor: Redactor;
}

export interface OpenPassDeploymentOptions {
  configDir?: string;
  localRoot?: string;
  env: DeploymentEnv;
  tuning?: DeploymentTuning;
  onDatabricksRetry?: (notice: RetryNotice) => void;
}

/** The environment the deployment settings are read from, with the CLI's local-mode shortcuts applied. */
export function passEnvironment(localRootFlag: string | undefined, env: DeploymentEnv): DeploymentEnv {
  if (localRootFlag !== undefined) return { ...env, CLEANROOM_ENGINE: 'local', CLEANROOM_LOCAL_ROOT: localRootFlag };
  // Before tick/watch could reach the deployed clean room, CLEANROOM_LOCAL_ROOT alone meant local mode: it still does.
  if (!env.CLEANROOM_ENGINE?.trim() && env.CLEANROOM_LOCAL_ROOT?.trim()) return { ...env, CLEANROOM_ENGINE: 'local' };
  return env;
}

/** Reads and checks the settings and the clean room config; throws naming every problem (never the token's value). */
export async function openPassDeployment(options: OpenPassDeploymentOptions): Promise<PassDeployment> {
  const env = passEnvironment(options.localRoot, options.env);
  const redactor = new Redactor({ env });
  const read = readDeploymentSettings(env);
  if (!read.ok) {
    const deployed = (env.CLEANROOM_ENGINE?.trim() || 'databricks') === 'databricks';
    const hint = deployed ? ['for a local rehearsal instead, give --local-root <folder> (or CLEANROOM_LOCAL_ROOT)'] : [];
    throw new CliError(redactor.redactText(problemList(deployed ? 'cannot run a pass on the deployed clean room (Cloud Storage + Databricks)' : 'cannot run a local pass', [...read.problems, ...hint])), EXIT.unavailable);
  }
  const settings = read.settings;
  if (settings.kind === 'databricks' && settings.token !== undefined) redactor.registerSecret(settings.token);
  const configDir = options.configDir ?? env.CLEANROOM_CONFIG_DIR ?? '.';
  const config = await loadConfig(configDir);
  const misfits = deploymentProblems(config, settings);
  if (misfits.length > 0) throw new CliError(redactor.redactText(problemList('cannot run a pass: the settings do not fit cleanroom.yaml', misfits)), EXIT.unavailable);
  const project = env.GOOGLE_CLOUD_PROJECT?.trim();
  const deploymentOptions: DeploymentOptions = {
    ...(project ? { project } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
    ...(options.onDatabricksRetry ? { onDatabricksRetry: options.onDatabricksRetry } : {}),
    onSecret: (value) => redactor.registerSecret(value),
  };
  return { ...buildDeployment(config, settings, deploymentOptions), config, configDir, settings, options: deploymentOptions, redactor };
}

function problemList(title: string, problems: readonly string[]): string {
  return `${title}:\n  - ${problems.join('\n  - ')}`;
}
