/** Pure bookkeeping of effects done by the I/O layer: dataset syncs, submissions and polled run states. */
import type { RunStatus } from '../engines/engine';
import type { CleanroomState, RunAccessRecord, RunRecord } from './state';

/** After this many failed submissions the run is recorded as failed instead of retried forever. */
export const MAX_SUBMIT_ATTEMPTS = 5;
const DAY_MS = 24 * 60 * 60 * 1000;
const ACTIVE = new Set(['PENDING', 'RUNNING', 'TERMINATING']);

export function completeDatasetSync(state: CleanroomState): void {
  state.pendingEffects = state.pendingEffects.filter((e) => e.kind !== 'sync_datasets');
}

export function recordSubmission(state: CleanroomState, jobId: string, runId: string, engine: string, now: number, inputVersions?: Record<string, number>): void {
  const access = takeSubmission(state, jobId);
  const existing = state.runs[jobId];
  if (existing && existing.runId === runId) {
    // The same run found again: it keeps the principal it runs as (never dropped while it may execute).
    if (access && !existing.access) existing.access = access;
    return;
  }
  state.runs[jobId] = {
    jobId,
    runId,
    engine,
    lifeCycleState: 'PENDING',
    resultState: null,
    stateMessage: null,
    startTime: null,
    endTime: null,
    runPageUrl: null,
    error: null,
    errorTrace: null,
    submittedAt: now,
    updatedAt: now,
    ...(inputVersions && Object.keys(inputVersions).length > 0 ? { inputVersions } : {}),
    ...(access ? { access } : {}),
  };
}

/** Removes the pending submission; returns the job principal it held, which its run now holds (run-principals.ts). */
function takeSubmission(state: CleanroomState, jobId: string): RunAccessRecord | undefined {
  const effect = state.pendingEffects.find((e) => e.kind === 'submit_job' && e.jobId === jobId);
  state.pendingEffects = state.pendingEffects.filter((e) => e !== effect);
  return effect?.kind === 'submit_job' ? effect.access : undefined;
}

/** A submission the clean room itself refuses (e.g. its code was rejected since): no retry, a FAILED run that says why. */
export function recordSubmitRefused(state: CleanroomState, jobId: string, error: string, engine: string, now: number): void {
  const access = takeSubmission(state, jobId);
  state.runs[jobId] = notStartedRun(jobId, engine, 'the clean room refused to start the run', error, now, access);
}

/** A failed submission: retried next pass, or recorded as a failed run once attempts are exhausted. */
export function recordSubmitFailure(state: CleanroomState, jobId: string, error: string, engine: string, now: number): void {
  const index = state.pendingEffects.findIndex((e) => e.kind === 'submit_job' && e.jobId === jobId);
  if (index === -1) return;
  const effect = state.pendingEffects[index];
  if (effect.kind !== 'submit_job') return;
  const attempts = effect.attempts + 1;
  if (attempts < MAX_SUBMIT_ATTEMPTS) {
    state.pendingEffects[index] = { ...effect, attempts };
    return;
  }
  state.pendingEffects.splice(index, 1);
  state.runs[jobId] = notStartedRun(jobId, engine, `the engine refused the run ${attempts} times`, error, now, effect.access);
}

/** The FAILED run a job gets when it was never started, so the participant sees why in control.runs. */
function notStartedRun(jobId: string, engine: string, stateMessage: string, error: string, now: number, access?: RunAccessRecord): RunRecord {
  return {
    jobId,
    runId: `not-submitted-${jobId}`,
    engine,
    lifeCycleState: 'INTERNAL_ERROR',
    resultState: 'FAILED',
    stateMessage,
    startTime: null,
    endTime: now,
    runPageUrl: null,
    error,
    errorTrace: null,
    submittedAt: now,
    updatedAt: now,
    // A principal it held is revoked before another run may take it.
    ...(access ? { access } : {}),
  };
}

export function recordRunStatus(state: CleanroomState, jobId: string, status: RunStatus, now: number): void {
  const run = state.runs[jobId];
  if (!run) return;
  const next: RunRecord = {
    ...run,
    lifeCycleState: status.lifeCycleState,
    resultState: status.resultState ?? null,
    stateMessage: status.stateMessage ?? null,
    startTime: status.startTime ? status.startTime.getTime() : run.startTime,
    endTime: status.endTime ? status.endTime.getTime() : run.endTime,
    runPageUrl: status.runPageUrl ?? run.runPageUrl,
    error: status.error ?? null,
    errorTrace: status.errorTrace ?? null,
    updatedAt: now,
  };
  if (!sameRun(run, next)) state.runs[jobId] = next;
}

/** The note a run carries while the engine cannot be reached; constant, so an outage commits the state once. */
export const ENGINE_UNREACHABLE_NOTE = 'the engine could not be reached at the last poll: this is the last known state, polled again next pass';

/**
 * The engine was unreachable when polling: the run keeps its last known life-cycle and result state (an outage is
 * never a failure) and its state message says so until the next successful poll replaces it.
 */
export function recordRunUnreachable(state: CleanroomState, jobId: string, now: number): void {
  const run = state.runs[jobId];
  if (!run || run.stateMessage === ENGINE_UNREACHABLE_NOTE) return;
  state.runs[jobId] = { ...run, stateMessage: ENGINE_UNREACHABLE_NOTE, updatedAt: now };
}

/** How the state message of a run the engine has forgotten starts (such a run is never polled again). */
export const UNKNOWN_TO_ENGINE_NOTE = 'the engine no longer knows this run';

/**
 * An active run the engine definitively does not know, submitted longer ago than the engine keeps run history:
 * whatever happened to it can no longer be learned, so it is closed as INTERNAL_ERROR with no result (its outcome
 * is unknown, not failed) and a message saying what to do, and polling stops. False when that does not apply.
 */
export function recordRunUnknownToEngine(state: CleanroomState, jobId: string, detail: string, retentionDays: number, now: number): boolean {
  const run = state.runs[jobId];
  if (!run || !ACTIVE.has(run.lifeCycleState) || !olderThanRetention(run, now, retentionDays)) return false;
  const days = Math.floor((now - run.submittedAt) / DAY_MS);
  const message =
    `${UNKNOWN_TO_ENGINE_NOTE} (${detail}); it was submitted ${days} days ago, longer than the ${retentionDays} days of run history ` +
    `kept, so its outcome cannot be known: check its output location, and submit the job again if it is missing`;
  state.runs[jobId] = { ...run, lifeCycleState: 'INTERNAL_ERROR', resultState: null, stateMessage: message, error: message, endTime: now, updatedAt: now };
  return true;
}

/** Runs only submitted longer ago than the retention window may be closed when the engine forgot them. */
export function olderThanRetention(run: RunRecord, now: number, retentionDays: number): boolean {
  return now - run.submittedAt > retentionDays * DAY_MS;
}

/** A run the runtime closed because the engine forgot it (recordRunUnknownToEngine). */
export function isUnknownToEngine(run: RunRecord): boolean {
  return run.lifeCycleState === 'INTERNAL_ERROR' && run.resultState === null && (run.stateMessage ?? '').startsWith(UNKNOWN_TO_ENGINE_NOTE);
}

function sameRun(a: RunRecord, b: RunRecord): boolean {
  const { updatedAt: _a, ...restA } = a;
  const { updatedAt: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

/** Runs to poll: active ones, and ended ones within the retention window (Databricks may still amend them). */
export function runsToPoll(state: CleanroomState, now: number, retentionDays: number): RunRecord[] {
  return Object.values(state.runs).filter((run) => {
    if (run.runId.startsWith('not-submitted-')) return false;
    if (isUnknownToEngine(run)) return false;
    if (ACTIVE.has(run.lifeCycleState)) return true;
    const ended = run.endTime ?? run.updatedAt;
    return now - ended <= retentionDays * DAY_MS && run.resultState === null;
  });
}
