/**
 * The single place where `cleanroom runtime serve` gets its pass: the clean room config (validated at start, then
 * re-read at the start of every pass, keeping the last valid one when a change does not validate), an object store
 * and an engine built from the environment (src/deployment, shared with `runtime tick` / `watch`), and one
 * `runPass` per trigger, whose report is logged as structured entries (one per event, with participant and event uuid).
 */
import { loadConfig } from '../config';
import { buildEngine, buildObjectStore, deploymentProblems, LiveDeployment, participantChanges, type DeploymentOptions, type DeploymentTuning } from '../deployment';
import type { Logger } from '../logging/logger';
import { runPass, type PassReport } from '../runtime/run-pass';
import type { RunPass } from './pass-trigger';
import type { ServeConfig } from './serve-config';

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
export type RuntimePassTuning = DeploymentTuning;

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
  const startProblems = deploymentProblems(cleanroom, config.engine);
  if (startProblems.length > 0) throw new RuntimeSettingsError(startProblems);
  if (config.engine.kind === 'databricks' && config.engine.token !== undefined) logger.registerSecret(config.engine.token);
  const deployment = deploymentOptions(config, logger, tuning);
  const live = new LiveDeployment({
    configDir: config.configDir,
    initial: cleanroom,
    settings: config.engine,
    store: buildObjectStore(config.engine, deployment),
    engine: buildEngine(cleanroom, config.engine, deployment),
    options: deployment,
  });
  logger.notice('runtime pass ready', {
    cleanroom: cleanroom.name,
    engine: live.engine.name,
    participants: cleanroom.participants.length,
    state_bucket: cleanroom.stateBucket,
  });
  return async (trigger) => {
    const log = trigger.passId ? logger.child({ pass_id: trigger.passId }) : logger;
    // Passes never overlap (the server coalesces triggers), so swapping the engine here is safe.
    const reload = await live.refresh();
    if (reload.kind === 'refused') {
      log.error('config change refused: this pass uses the last valid config', { config_dir: config.configDir, problems: reload.problems });
    } else if (reload.kind === 'changed') {
      const { added, removed } = participantChanges(reload.previous, reload.config);
      log.notice('config reloaded', { participants: reload.config.participants.length, participants_added: added, participants_removed: removed });
    }
    const report = await runPass({ config: live.config, store: live.store, engine: live.engine, now: tuning.now });
    logReport(report, log);
    return summarise(report);
  };
}

function deploymentOptions(config: ServeConfig, logger: Logger, tuning: RuntimePassTuning): DeploymentOptions {
  return {
    ...(config.project ? { project: config.project } : {}),
    tuning,
    onDatabricksRetry: (notice) =>
      logger.warning('databricks request retried', {
        method: notice.method,
        path: notice.path,
        attempt: notice.attempt,
        status: notice.status,
        wait_ms: notice.waitMs,
        reason: notice.reason,
      }),
    onSecret: (value) => logger.registerSecret(value),
  };
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
