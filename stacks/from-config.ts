import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { App } from 'cdktf';
import { CLEANROOM_FILE, DEFAULT_CLUSTER_SHAPES, PARTICIPANTS_DIR, loadConfig, type CleanroomConfig } from 'cleanroom-runtime/src/config';
import type { ComputeSizeShape } from '../constructs/compute-sizes';
import { buildCleanroomApp, type CleanroomApp, type CleanroomDefinition } from './cleanroom-app';

/** Maps the validated config (the runtime's own schema) to what the stacks declare. */
export function definitionFromConfig(config: CleanroomConfig, configFiles?: Readonly<Record<string, string>>): CleanroomDefinition {
  return {
    name: config.name,
    gcpProject: config.gcp.project,
    region: config.gcp.region,
    databricksHost: config.databricks.host,
    serviceAccountEmail: config.serviceAccount,
    ...(config.databricks.storageServiceAccount === undefined ? {} : { databricksStorageServiceAccount: config.databricks.storageServiceAccount }),
    ...(config.databricks.runtimePrincipal === undefined ? {} : { databricksRuntimePrincipal: config.databricks.runtimePrincipal }),
    databricksCatalog: config.databricks.catalog,
    ...(config.databricks.owner === undefined ? {} : { databricksOwner: config.databricks.owner }),
    databricksJobPrincipals: config.databricks.jobPrincipals,
    ...(config.terraformState === undefined ? {} : { terraformState: config.terraformState }),
    stateBucket: config.stateBucket,
    keeper: config.keeper,
    computeSizes: config.computeSizes.map((size): ComputeSizeShape => {
      const shape = DEFAULT_CLUSTER_SHAPES[size];
      return { name: size, nodeType: shape.node_type_id, numWorkers: shape.num_workers };
    }),
    runtime: config.runtime.image === undefined ? { schedule: config.runtime.schedule } : { schedule: config.runtime.schedule, image: config.runtime.image },
    participants: config.participants.map((p) => ({
      name: p.name,
      role: p.role,
      bucket: p.bucket,
      gcpProject: p.gcp.project,
      databricksHost: p.databricks.host,
      ...(p.gcp.storage_service_agent === undefined ? {} : { storageServiceAgent: p.gcp.storage_service_agent }),
      ...(p.databricks.owner === undefined ? {} : { databricksOwner: p.databricks.owner }),
      ...(p.terraform_state === undefined ? {} : { terraformState: p.terraform_state }),
    })),
    configFiles,
  };
}

/** The config files as reviewed (relative path → text), read after `loadConfig` validated them. */
export async function readConfigFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  files[CLEANROOM_FILE] = await fs.readFile(path.join(dir, CLEANROOM_FILE), 'utf8');
  const names = (await fs.readdir(path.join(dir, PARTICIPANTS_DIR))).filter((n) => /\.ya?ml$/.test(n)).sort();
  for (const name of names) {
    files[`${PARTICIPANTS_DIR}/${name}`] = await fs.readFile(path.join(dir, PARTICIPANTS_DIR, name), 'utf8');
  }
  return files;
}

/**
 * Loads and validates the config folder, then declares every stack in `app`. An invalid config rejects with the
 * loader's ConfigError (every problem as `file:line:column field — expected`) before anything is declared.
 */
export async function buildAppFromConfigDir(app: App, dir: string): Promise<CleanroomApp> {
  const config = await loadConfig(dir);
  return buildCleanroomApp(app, definitionFromConfig(config, await readConfigFiles(dir)));
}
