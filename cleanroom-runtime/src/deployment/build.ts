/**
 * Settings → the object store and the engine a runtime pass runs on. The one place both `cleanroom runtime serve`
 * and `cleanroom runtime tick` / `watch` build them:
 *
 *   databricks (deployed): Cloud Storage (the caller's Google identity) + the Databricks engine
 *   local (rehearsal):     folders under the local root + the embedded DuckDB engine
 */
import * as path from 'node:path';
import { runTimeoutMinutes, type CleanroomConfig } from '../config';
import { DatabricksEngine, type DatabricksEngineOptions, type RetryNotice } from '../engines/databricks';
import type { ExecutionEngine } from '../engines/engine';
import { LocalEngine } from '../engines/local';
import { GcsObjectStore } from '../storage/gcs-store';
import { LocalObjectStore } from '../storage/local-store';
import type { ObjectStore } from '../storage/object-store';
import type { RetryOptions } from '../storage/retry';
import { databricksCatalog, type DeploymentSettings } from './settings';
import { databricksToken } from './token-file';

/** Tuning for tests and rehearsals (e.g. fast retries); production uses the defaults. */
export interface DeploymentTuning {
  databricks?: Pick<DatabricksEngineOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxAttempts' | 'maxElapsedMs' | 'random' | 'statementPollIntervalMs' | 'requestTimeoutMs'>;
  gcsRetry?: RetryOptions;
  now?: () => Date;
}

export interface DeploymentOptions {
  /** Google Cloud project of the Cloud Storage client (GOOGLE_CLOUD_PROJECT); optional. */
  project?: string;
  tuning?: DeploymentTuning;
  /** Called when a Databricks request is retried (the caller logs it). */
  onDatabricksRetry?: (notice: RetryNotice) => void;
  /** Called with each Databricks token read from DATABRICKS_TOKEN_FILE, so the caller can redact it from logs. */
  onSecret?: (value: string) => void;
}

export interface Deployment {
  store: ObjectStore;
  engine: ExecutionEngine;
}

/** Store and engine for one clean room config (see buildEngine for why the engine depends on it). */
export function buildDeployment(cleanroom: CleanroomConfig, settings: DeploymentSettings, options: DeploymentOptions = {}): Deployment {
  return { store: buildObjectStore(settings, options), engine: buildEngine(cleanroom, settings, options) };
}

export function buildObjectStore(settings: DeploymentSettings, options: DeploymentOptions = {}): ObjectStore {
  if (settings.kind === 'local') return new LocalObjectStore(path.resolve(settings.localRoot));
  return new GcsObjectStore({
    ...(settings.gcsApiEndpoint ? { apiEndpoint: settings.gcsApiEndpoint } : {}),
    ...(options.project ? { projectId: options.project } : {}),
    ...(options.tuning?.gcsRetry ? { retry: options.tuning.gcsRetry } : {}),
  });
}

/**
 * The engine for one clean room config: the Databricks engine needs the participants (to empty the schema of one
 * whose datasets are all deleted) and takes the workspace from the config unless DATABRICKS_HOST overrides it, so
 * a long-running caller rebuilds it when the config changes.
 */
export function buildEngine(cleanroom: CleanroomConfig, settings: DeploymentSettings, options: DeploymentOptions = {}): ExecutionEngine {
  const tuning = options.tuning ?? {};
  if (settings.kind === 'local') return new LocalEngine({ localRoot: path.resolve(settings.localRoot), now: tuning.now, cleanroomLimits: cleanroom.limits });
  return new DatabricksEngine({
    ...tuning.databricks,
    host: settings.host ?? cleanroom.databricks.host,
    token: databricksToken(settings, options.onSecret ? { onToken: options.onSecret } : {}),
    warehouseId: settings.warehouseId,
    policyIdForCompute: settings.policyIds,
    catalog: databricksCatalog(cleanroom, settings),
    runTimeoutSeconds: (size) => runTimeoutSecondsFor(cleanroom, size),
    ...(cleanroom.databricks.runtimePrincipal ? { runtimePrincipal: cleanroom.databricks.runtimePrincipal } : {}),
    ...(settings.jobPrincipals ? { jobPrincipals: settings.jobPrincipals } : {}),
    participants: cleanroom.participants.map((p) => p.name),
    ...(options.onDatabricksRetry ? { onRetry: options.onDatabricksRetry } : {}),
  });
}

/** `run_timeout_minutes` of an offered size, in seconds; undefined for a size the clean room does not offer. */
export function runTimeoutSecondsFor(cleanroom: CleanroomConfig, size: string): number | undefined {
  const offered = cleanroom.computeSizes.find((s) => s === size);
  return offered === undefined ? undefined : runTimeoutMinutes(cleanroom, offered) * 60;
}

/** One line saying where passes run, for people (never the token). */
export function describeDeployment(cleanroom: CleanroomConfig, settings: DeploymentSettings): string {
  if (settings.kind === 'local') return `local rehearsal: buckets under ${path.resolve(settings.localRoot)}, embedded DuckDB engine`;
  const host = settings.host ?? cleanroom.databricks.host;
  return `deployed: Cloud Storage${settings.gcsApiEndpoint ? ` at ${settings.gcsApiEndpoint}` : ''}, Databricks ${host} (SQL warehouse ${settings.warehouseId})`;
}
