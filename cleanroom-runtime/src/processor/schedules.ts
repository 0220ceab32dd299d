/**
 * Scheduled jobs: which occurrences are due at clean room time `now`, and under which run key each runs.
 *
 * A scheduled job's run key is `<job id>@<occurrence ISO time>`. It is the engine's jobId (its idempotency token)
 * and the key of the run in the state, so an occurrence decided once can only ever start one run: the decision
 * and the job's advanced `lastOccurrenceAt` are committed together (compare-and-swap), and a resubmission after a
 * crash carries the same key. After a gap (outage, paused runtime) only the latest missed occurrence runs; the
 * skipped ones are named in the job's status message. Likewise while an earlier run of the job still waits to be
 * submitted (for a free job principal): the occurrences that come due meanwhile are skipped and named, so a busy pool
 * never piles up a job's submissions.
 * A job runs the code version approved when it was registered: once that code is updated, rejected or deleted,
 * the job stops and says why.
 */
import { approvalCoversCurrent, codeVersionHash, isApprovedNow } from './code-version';
import { nextOccurrence, parseCron, previousOccurrence, cronNeverFires, type CronSchedule } from './cron';
import type { Effect } from './effects';
import { quote } from './names';
import { recordOf, type CleanroomState, type CodeRecord, type JobRecord } from './state';

export const AD_HOC_SCHEDULE = 'ad-hoc';
const AD_HOC_WORDS = ['', 'ad-hoc', 'adhoc', 'once', 'now'];
const KEYWORDS: Record<string, string> = {
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 0',
  monthly: '0 0 1 * *',
  yearly: '0 0 1 1 *',
  annually: '0 0 1 1 *',
};
/** Missed occurrences are counted up to this, then reported as "at least". */
const MAX_SKIPPED_COUNT = 1000;
const MINUTE_MS = 60_000;

export type JobSchedule = { kind: 'ad-hoc' } | { kind: 'cron'; expression: string; cron: CronSchedule };
export type ScheduleParse = { ok: true; schedule: JobSchedule } | { ok: false; message: string };

/** The JOB event's `schedule`: ad hoc (empty, "ad-hoc", "once", "now") or a 5-field cron expression in UTC. */
export function parseJobSchedule(text: string): ScheduleParse {
  const trimmed = text.trim();
  if (AD_HOC_WORDS.includes(trimmed.toLowerCase())) return { ok: true, schedule: { kind: 'ad-hoc' } };
  const keyword = trimmed.replace(/^@/, '').toLowerCase();
  if (Object.hasOwn(KEYWORDS, keyword)) {
    return {
      ok: false,
      message: `schedule ${quote(text)} is not supported: write it as a 5-field cron expression in UTC, e.g. "${KEYWORDS[keyword]}", or use "ad-hoc" for a single run`,
    };
  }
  const parsed = parseCron(trimmed);
  if (!parsed.ok) {
    return { ok: false, message: `schedule ${quote(text)} is not valid: ${parsed.message}, in UTC; or use "ad-hoc" for a single run` };
  }
  const never = cronNeverFires(parsed.cron);
  if (never !== undefined) return { ok: false, message: `schedule ${quote(text)} is refused: ${never}; choose days that exist in the chosen months` };
  return { ok: true, schedule: { kind: 'cron', expression: trimmed.split(/\s+/).join(' '), cron: parsed.cron } };
}

export function isScheduled(job: JobRecord): boolean {
  return job.schedule !== AD_HOC_SCHEDULE;
}

export function runKey(jobId: string, occurrence: number): string {
  return `${jobId}@${new Date(occurrence).toISOString()}`;
}

/** The job a run key belongs to (job ids never contain '@'), and the occurrence it is for (ad hoc: none). */
export function parseRunKey(key: string): { jobId: string; occurrence: string | null } {
  const at = key.indexOf('@');
  return at === -1 ? { jobId: key, occurrence: null } : { jobId: key.slice(0, at), occurrence: key.slice(at + 1) };
}

/**
 * What a run of `key` executes: its job and the parameters, with `run_time` (the occurrence's ISO time; for an
 * ad hoc job the time it was accepted) set by the clean room.
 */
export function runTarget(state: CleanroomState, key: string): { job: JobRecord; parameters: Record<string, string> } | undefined {
  const { jobId, occurrence } = parseRunKey(key);
  const job = recordOf(state.jobs, jobId);
  if (!job) return undefined;
  return { job, parameters: { ...job.parameters, run_time: occurrence ?? new Date(job.createdAt).toISOString() } };
}

/** Why the job may no longer run its pinned code version, or undefined when it still may. */
export function pinnedCodeProblem(state: CleanroomState, job: JobRecord): string | undefined {
  const code = recordOf(state.code, job.codeName);
  if (!code || code.codeId !== job.codeId) return `code "${job.codeName}" was deleted`;
  if (code.hash !== job.hash) return `code "${job.codeName}" was updated (now sha256 ${code.hash}; the job was registered for sha256 ${job.hash})`;
  if (job.versionHash !== undefined && codeVersionHash(code) !== job.versionHash) {
    return `code "${job.codeName}" was changed (its language or default parameters; now version ${codeVersionHash(code)})`;
  }
  if (code.approval.status === 'CODE_REQUEST_REJECTED' && approvalCoversCurrent(code)) {
    return `code "${job.codeName}" was rejected${code.approval.reason ? `: ${code.approval.reason}` : ''}`;
  }
  if (!isApprovedNow(code)) return `code "${job.codeName}" is no longer approved${whyNotApproved(code)}`;
  return undefined;
}

/** ": <why>", from the code's last decision when it took the approval away (a revocation, lapse or policy change). */
function whyNotApproved(code: CodeRecord): string {
  const last = code.decisions?.[code.decisions.length - 1];
  if (!last || last.decision === 'APPROVED' || last.decision === 'REJECTED') return '';
  if (last.decision === 'REVOKED') return `: ${last.by ?? 'an approver'} revoked its approval${last.reason ? ` (${last.reason})` : ''}`;
  return last.reason ? `: ${last.reason}` : '';
}

/** True when advanceSchedules would change the state (cheap: no occurrence search), so idle passes write nothing. */
export function hasScheduleWork(state: CleanroomState, now: number): boolean {
  return Object.values(state.jobs).some((job) => isActiveScheduled(job) && (pinnedCodeProblem(state, job) !== undefined || isDue(job, now)));
}

/**
 * Stops jobs whose code changed and decides the due occurrence of every other active scheduled job (in place).
 * Returns the submissions to record as pending effects.
 */
export function advanceSchedules(state: CleanroomState, now: number): Effect[] {
  const effects: Effect[] = [];
  for (const job of Object.values(state.jobs)) {
    if (!isActiveScheduled(job)) continue;
    const problem = pinnedCodeProblem(state, job);
    if (problem !== undefined) {
      job.status = 'STOPPED';
      job.nextRunAt = null;
      job.statusMessage = `stopped at ${iso(now)}: ${problem}; no further runs. Submit the job again once the code you want to run is approved`;
      continue;
    }
    if (!isDue(job, now)) continue;
    const parsed = parseJobSchedule(job.schedule);
    if (!parsed.ok || parsed.schedule.kind !== 'cron') {
      job.status = 'STOPPED';
      job.nextRunAt = null;
      job.statusMessage = `stopped: ${parsed.ok ? 'the job has no cron schedule' : parsed.message}`;
      continue;
    }
    const cron = parsed.schedule.cron;
    const since = job.lastOccurrenceAt ?? job.createdAt;
    const latest = previousOccurrence(cron, now);
    const waitingAt = latest !== null && latest > since ? waitingOccurrence(state, job.jobId) : undefined;
    if (latest !== null && latest > since && waitingAt !== undefined) {
      // An earlier run still waits to be submitted: queueing another behind it would let a busy pool pile them up.
      job.lastOccurrenceAt = latest;
      job.statusMessage = `runs on "${job.schedule}" (UTC); the run for ${iso(waitingAt)} still waits to be submitted (on Databricks: for a free job principal)${skippedWhileWaitingNote(cron, waitingAt, latest)}`;
    } else if (latest !== null && latest > since) {
      effects.push({ kind: 'submit_job', jobId: runKey(job.jobId, latest), attempts: 0 });
      job.lastOccurrenceAt = latest;
      job.statusMessage = `runs on "${job.schedule}" (UTC); last run for ${iso(latest)}${skippedNote(cron, since, latest)}`;
    }
    job.nextRunAt = nextOccurrence(cron, now);
    if (job.nextRunAt === null) {
      job.status = 'STOPPED';
      job.statusMessage = `stopped at ${iso(now)}: its schedule has no further occurrence`;
    }
  }
  return effects;
}

function isActiveScheduled(job: JobRecord): boolean {
  return isScheduled(job) && job.status === 'ACTIVE';
}

function isDue(job: JobRecord, now: number): boolean {
  return job.nextRunAt !== undefined && job.nextRunAt !== null && now >= job.nextRunAt;
}

/**
 * The occurrence of an earlier run of the job that is pending but was never tried: on an engine with job principals it
 * waits for a free one (a run holding one, or being retried after the engine refused it, does not count).
 */
function waitingOccurrence(state: CleanroomState, jobId: string): number | undefined {
  for (const effect of state.pendingEffects) {
    if (effect.kind !== 'submit_job' || effect.access || effect.attempts > 0) continue;
    const key = parseRunKey(effect.jobId);
    if (key.jobId === jobId && key.occurrence !== null) return Date.parse(key.occurrence);
  }
  return undefined;
}

/** Missed occurrences strictly between the last one decided and the one that runs now. */
function skippedNote(cron: CronSchedule, since: number, latest: number): string {
  const skipped = occurrencesNote(cron, since, latest);
  return skipped === '' ? '' : `; skipped ${skipped}: after a gap only the latest runs`;
}

/** Occurrences after the waiting one, up to the latest due: all skipped. */
function skippedWhileWaitingNote(cron: CronSchedule, waitingAt: number, latest: number): string {
  const skipped = occurrencesNote(cron, waitingAt, latest + MINUTE_MS);
  return skipped === '' ? '' : `; skipped ${skipped} that came due while it waits: a job keeps at most one run waiting`;
}

/** "N missed occurrence(s) (first to last)" for the occurrences strictly between `after` and `before`, or ''. */
function occurrencesNote(cron: CronSchedule, after: number, before: number): string {
  let count = 0;
  for (let at = nextOccurrence(cron, after); at !== null && at < before && count < MAX_SKIPPED_COUNT; at = nextOccurrence(cron, at)) count++;
  if (count === 0) return '';
  const first = nextOccurrence(cron, after)!;
  const last = previousOccurrence(cron, before - MINUTE_MS)!;
  const counted = count >= MAX_SKIPPED_COUNT ? `at least ${MAX_SKIPPED_COUNT}` : String(count);
  const range = count === 1 ? iso(first) : `${iso(first)} to ${iso(last)}`;
  return `${counted} missed occurrence${count === 1 ? '' : 's'} (${range})`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
