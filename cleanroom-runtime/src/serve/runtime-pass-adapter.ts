/**
 * The single place where `cleanroom runtime serve` gets its pass: the clean room config (validated at start, then
 * re-read at the start of every pass, keeping the last valid one when a change does not validate), an object store
 * and an engine built from the environment (see serve-config.ts), and one `runPass` per trigger, whose report is
 * logged as structured entries (one per event, with participant and event uuid).
 *
 *   databricks (deployed): Cloud Storage (the service's identity) + the Databricks engine
 *   local (rehearsal):     folders under CLEANROOM_LOCAL_ROOT + the embedded DuckDB engine
 */
import { loadConfig, type CleanroomConfig } from '../config';
import { DatabricksEngine, type DatabricksEngineOptions } from '../engines/databricks';
import type { ExecutionEngine } from '../engines/engine';
import { LocalEngine } from '../engines/local';
import type { Logger } from '../logging/logger';
import { runPass, type PassReport } from '../runtime/run-pass';
import { GcsObjectStore } from '../storage/gcs-store';
import { LocalObjectStore } from '../storage/local-store';
import type { ObjectStore } from '../storage/object-store';
import type { RetryOptions } from '../storage/retry';
import { ConfigReloader, participantChanges } from './config-reloader';
import type { RunPass } from './pass-trigger';
import type { DatabricksServeSettings, ServeConfig } from './serve-config';

/** What the server logs at the end of a pass (counts only; the details are logged entry by entry). */
export interface PassSummary {
  state_seq: number;
  events: number;
  events_refused: number;
  submitted: number;
  submit_failures: number;
  runs_polled: number;
  published: number;
  conflicts: number;
  errors: number;
}

/** Tuning for tests and rehearsals (e.g. fast retries); production uses the defaults. */
export interface RuntimePassTuning {
  databricks?: Pick<DatabricksEngineOptions, 'baseDelayMs' | 'maxDelayMs' | 'maxAttempts' | 'maxElapsedMs' | 'random' | 'statementPollIntervalMs' | 'requestTimeoutMs'>;
  gcsRetry?: RetryOptions;
  now?: () => Date;
}

/** The clean room config does not fit the serve settings (e.g. a compute size without a cluster policy). */
export class RuntimeSettingsError extends Error {
  override readonly name = 'RuntimeSettingsError';
  constructor(readonly problems: string[]) {
    super(`cannot serve:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Loads the clean room config, checks it against the serve settings (throws RuntimeSettingsError naming every
 * problem, so the server refuses to start) and returns the pass the server runs per trigger. Each pass first
 * re-reads the config folder: a valid change (e.g. a new participant) applies from that pass on; an invalid one is
 * logged at ERROR with its problems and the pass runs with the last valid config.
 */
export async function createRuntimePass(config: ServeConfig, logger: Logger, tuning: RuntimePassTuning = {}): Promise<RunPass<PassSummary>> {
  const cleanroom = await loadConfig(config.configDir);
  const startProblems = settingsProblems(cleanroom, config);
  if (startProblems.length > 0) throw new RuntimeSettingsError(startProblems);
  const store = buildStore(config, logger, tuning);
  let engine = buildEngine(cleanroom, config, logger, tuning);
  const reloader = new ConfigReloader({ dir: config.configDir, initial: cleanroom, fitsSettings: (next) => settingsProblems(next, config) });
  logger.notice('runtime pass ready', {
    cleanroom: cleanroom.name,
    engine: engine.name,
    participants: cleanroom.participants.length,
    state_bucket: cleanroom.stateBucket,
  });
  return async (trigger) => {
    const log = trigger.passId ? logger.child({ pass_id: trigger.passId }) : logger;
    // Passes never overlap (the server coalesces triggers), so swapping the engine here is safe.
    const reload = await reloader.reload();
    if (reload.kind === 'refused') {
      log.error('config change refused: this pass uses the last valid config', { config_dir: config.configDir, problems: reload.problems });
    } else if (reload.kind === 'changed') {
      engine = buildEngine(reload.config, config, logger, tuning);
      const { added, removed } = participantChanges(reload.previous, reload.config);
      log.notice('config reloaded', { participants: reload.config.participants.length, participants_added: added, participants_removed: removed });
    }
    const report = await runPass({ config: reloader.config, store, engine, now: tuning.now });
    logReport(report, log);
    return summarise(report);
  };
}

function buildStore(config: ServeConfig, logger: Logger, tuning: RuntimePassTuning): ObjectStore {
  const settings = config.engine;
  if (settings.kind === 'local') return new LocalObjectStore(settings.localRoot);
  logger.registerSecret(settings.token);
  return new GcsObjectStore({
    ...(settings.gcsApiEndpoint ? { apiEndpoint: settings.gcsApiEndpoint } : {}),
    ...(config.project ? { projectId: config.project } : {}),
    ...(tuning.gcsRetry ? { retry: tuning.gcsRetry } : {}),
  });
}

/** The engine for one config (the Databricks engine needs the participants, to empty the schema of one whose datasets are all deleted). */
function buildEngine(cleanroom: CleanroomConfig, config: ServeConfig, logger: Logger, tuning: RuntimePassTuning): ExecutionEngine {
  const settings = config.engine;
  if (settings.kind === 'local') return new LocalEngine({ localRoot: settings.localRoot, now: tuning.now });
  return new DatabricksEngine({
    ...tuning.databricks,
    host: settings.host ?? cleanroom.databricks.host,
    token: settings.token,
    warehouseId: settings.warehouseId,
    policyIdForCompute: settings.policyIds,
    participants: cleanroom.participants.map((p) => p.name),
    onRetry: (notice) =>
      logger.warning('databricks request retried', {
        method: notice.method,
        path: notice.path,
        attempt: notice.attempt,
        status: notice.status,
        wait_ms: notice.waitMs,
        reason: notice.reason,
      }),
  });
}

function settingsProblems(cleanroom: CleanroomConfig, config: ServeConfig): string[] {
  return config.engine.kind === 'databricks' ? policyProblems(cleanroom, config.engine) : [];
}

/** Every compute size the clean room offers needs a policy; a run of a size without one could never start. */
function policyProblems(cleanroom: CleanroomConfig, settings: DatabricksServeSettings): string[] {
  const missing = cleanroom.computeSizes.filter((size) => !Object.prototype.hasOwnProperty.call(settings.policyIds, size));
  return missing.map(
    (size) =>
      `CLEANROOM_DATABRICKS_POLICY_IDS has no cluster policy for compute size "${size}" offered by cleanroom.yaml ` +
      `(it has: ${Object.keys(settings.policyIds).join(', ')}); redeploy the stack, which sets it from the declared policies`,
  );
}

/** One entry per event (WARNING when refused), per submission problem and per non-fatal error. */
function logReport(report: PassReport, log: Logger): void {
  for (const event of report.events) {
    const fields = {
      participant: event.participant,
      event_uuid: event.eventUuid,
      event_type: event.eventType,
      events_version: event.eventsVersion,
      status: event.status,
      status_message: event.message,
      labels: { participant: event.participant },
    };
    if (event.status === 'SUCCESS') log.info('event applied', fields);
    else log.warning('event refused', fields);
  }
  for (const jobId of report.submitted) log.info('run submitted', { job_id: jobId, event_uuid: jobId });
  for (const failure of report.submitFailures) log.warning('run submission failed', { job_id: failure.jobId, event_uuid: failure.jobId, error: failure.error });
  for (const error of report.errors) log.warning('pass problem (retried next pass)', { problem: error });
  for (const table of report.published) log.debug('view published', { participant: table.participant, table: table.table });
}

function summarise(report: PassReport): PassSummary {
  return {
    state_seq: report.stateSeq,
    events: report.events.length,
    events_refused: report.events.filter((e) => e.status !== 'SUCCESS').length,
    submitted: report.submitted.length,
    submit_failures: report.submitFailures.length,
    runs_polled: report.runsPolled,
    published: report.published.length,
    conflicts: report.conflicts,
    errors: report.errors.length,
  };
}
