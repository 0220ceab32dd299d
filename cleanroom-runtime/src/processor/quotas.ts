/**
 * Per-participant quotas (src/limits.ts): how much one participant may have registered at once, so no participant
 * can grow the state (and every pass's work) without bound. Checked before a registration is decided; an event over
 * a quota gets an ERROR saying what to remove.
 */
import type { CodeEvent, DataEvent, JobEvent } from '../events/event-model';
import { DEFAULT_LIMITS } from '../limits';
import type { ParticipantInfo, ProcessorContext } from './context';
import { ownedCount } from './owner-counts';
import { isScheduled, parseJobSchedule } from './schedules';
import type { CleanroomState } from './state';

/** Why a CODE INSERT would go over the submitter's code quota; undefined when it fits. */
export function codeQuotaProblem(state: CleanroomState, event: CodeEvent, ctx: ProcessorContext, submitter: ParticipantInfo): string | undefined {
  const owned = ownedCount(state.code, (code) => code.owner, submitter.name);
  return registrationQuota(event.action, owned, (ctx.limits ?? DEFAULT_LIMITS).codePerParticipant, 'code', 'code_per_participant', 'delete code you no longer use (CODE DELETE)');
}

/** Why a DATA INSERT would go over the submitter's dataset quota; undefined when it fits. */
export function datasetQuotaProblem(state: CleanroomState, event: DataEvent, ctx: ProcessorContext, submitter: ParticipantInfo): string | undefined {
  const owned = ownedCount(state.datasets, (dataset) => dataset.participant, submitter.name);
  return registrationQuota(event.action, owned, (ctx.limits ?? DEFAULT_LIMITS).datasetsPerParticipant, 'datasets', 'datasets_per_participant', 'delete datasets you no longer use (DATA DELETE)');
}

/** Only an INSERT registers something new (an UPDATE or DELETE never goes over a quota). */
function registrationQuota(action: string, owned: number, limit: number, what: string, key: string, remedy: string): string | undefined {
  if (action !== 'INSERT' || owned < limit) return undefined;
  return `you have ${owned} ${what} registered, the most one participant may have (${key} = ${limit}): ${remedy} before registering more`;
}

/** Why a scheduled JOB would go over the submitter's quota of active scheduled jobs; undefined when it fits. */
export function scheduledJobQuotaProblem(state: CleanroomState, event: JobEvent, ctx: ProcessorContext, submitter: ParticipantInfo): string | undefined {
  if (event.action !== 'INSERT') return undefined;
  const schedule = parseJobSchedule(event.schedule);
  if (!schedule.ok || schedule.schedule.kind !== 'cron') return undefined;
  const limit = (ctx.limits ?? DEFAULT_LIMITS).scheduledJobsPerParticipant;
  const active = Object.values(state.jobs).filter((job) => job.participant === submitter.name && isScheduled(job) && job.status === 'ACTIVE').length;
  if (active < limit) return undefined;
  return `you have ${active} active scheduled jobs, the most one participant may have (scheduled_jobs_per_participant = ${limit}): delete a scheduled job (JOB DELETE) before scheduling another`;
}
