/**
 * JOB events: run approved code. The code exists, is visible to the submitter (own or the keeper's; the keeper
 * may run any) and is approved at its current hash, which the job pins; parameters are a JSON object merged over
 * the code's defaults; `output` is required and confined to the submitter's own `output/` folder; the compute
 * size is one the clean room offers. An ad hoc job runs once; a scheduled job (5-field cron in UTC) runs at each
 * occurrence (see schedules.ts) until its owner deletes it (action DELETE) or its code changes.
 */
import type { JobEvent } from '../events/event-model';
import type { ParticipantInfo, ProcessorContext } from './context';
import { nextOccurrence } from './cron';
import { accept, refuse, type Decision } from './decision';
import { checkObjectName, checkOutputLocation, quote } from './names';
import { parseParameters } from './parameters';
import { scheduledJobQuotaProblem } from './quotas';
import { AD_HOC_SCHEDULE, isScheduled, parseJobSchedule } from './schedules';
import { approvalCoversCurrent, codeVersionHash, isApprovedNow } from './code-version';
import { recordOf, type CleanroomState } from './state';
import { uniqueRecordId } from './unique-ids';

/** Set by the clean room for every run (the occurrence's ISO time), so a job cannot set it. */
export const RUN_TIME_PARAMETER = 'run_time';

export function applyJob(state: CleanroomState, event: JobEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const overQuota = scheduledJobQuotaProblem(state, event, ctx, submitter);
  if (overQuota) return refuse(overQuota);
  const name = checkObjectName('job', event.jobName);
  if (!name.ok) return refuse(name.message);
  if (event.action === 'DELETE') return deleteJob(state, name.value, ctx, submitter);
  if (event.action !== 'INSERT') {
    return refuse(`JOB action ${quote(event.action)} is not supported: to change a job, delete it (action DELETE) and submit it again`);
  }
  const code = recordOf(state.code, event.codeName);
  if (!code) return refuse(`code ${quote(event.codeName)} does not exist: register it first, or check the name in control.code`);
  const keeper = ctx.participants.find((p) => p.role === 'keeper');
  const visible = submitter.role === 'keeper' || code.owner === submitter.name || code.owner === keeper?.name;
  if (!visible) return refuse(`code "${code.name}" is not available to you: you can run your own code and the keeper's`);
  if (!isApprovedNow(code)) {
    const why =
      code.approval.status === 'CODE_REQUEST_REJECTED' && approvalCoversCurrent(code)
        ? `it was rejected${code.approval.reason ? `: ${code.approval.reason}` : ''}; update it and ask for a new review`
        : `its current version ${codeVersionHash(code)} (sha256 ${code.hash}) awaits the keeper's approval`;
    return refuse(`code "${code.name}" is not approved: ${why}`);
  }
  if (!ctx.computeSizes.includes(event.compute)) {
    return refuse(`compute ${quote(event.compute)} is not offered: use one of ${ctx.computeSizes.join(', ')}`);
  }
  const schedule = parseJobSchedule(event.schedule);
  if (!schedule.ok) return refuse(schedule.message);
  const params = parseParameters(event.parameters, 'parameters');
  if (!params.ok) return refuse(params.message);
  if (Object.hasOwn(params.value, RUN_TIME_PARAMETER)) {
    return refuse(`parameter "${RUN_TIME_PARAMETER}" is set by the clean room for each run (the ISO time of its occurrence): remove it from the job's parameters`);
  }
  const defaults = JSON.parse(code.defaultParameters) as Record<string, string>;
  const merged: Record<string, string> = { ...defaults, ...params.value };
  const example = `gs://${submitter.bucket}/output/${name.value}`;
  if (merged.output === undefined || merged.output.trim() === '') {
    return refuse(`parameter "output" is required: set it to where the result goes, below your output folder, e.g. {"output": "${example}"}`);
  }
  const output = checkOutputLocation(merged.output, submitter.bucket);
  if (!output.ok) return refuse(output.message);
  merged.output = output.value.uri;
  delete merged[RUN_TIME_PARAMETER];
  if (schedule.schedule.kind === 'cron') {
    const active = Object.values(state.jobs).find((j) => j.participant === submitter.name && j.jobName === name.value && isScheduled(j) && j.status === 'ACTIVE');
    if (active) {
      return refuse(`a scheduled job named "${name.value}" is already active (id ${active.jobId}): delete it first (action DELETE), or choose another name`);
    }
  }

  const jobId = uniqueRecordId((id) => Object.hasOwn(state.jobs, id) || ctx.history?.jobIdTaken(id) === true, submitter.name, event.uuid);
  state.jobs[jobId] = {
    jobId,
    jobName: name.value,
    participant: submitter.name,
    codeId: code.codeId,
    codeName: code.name,
    codeOwner: code.owner,
    hash: code.hash,
    versionHash: codeVersionHash(code),
    language: code.language,
    parameters: merged,
    compute: event.compute,
    schedule: schedule.schedule.kind === 'cron' ? schedule.schedule.expression : AD_HOC_SCHEDULE,
    outputLocation: output.value.uri,
    createdAt: ctx.now,
    eventUuid: event.uuid,
    eventsVersion: event.eventsVersion,
  };
  if (schedule.schedule.kind === 'cron') {
    const job = state.jobs[jobId]!;
    const first = nextOccurrence(schedule.schedule.cron, ctx.now);
    job.status = 'ACTIVE';
    job.nextRunAt = first;
    job.lastOccurrenceAt = ctx.now;
    job.statusMessage = `runs on "${job.schedule}" (UTC); no run yet`;
    const when = first === null ? 'no further occurrence' : `first run at ${new Date(first).toISOString()}`;
    return accept(
      `job "${name.value}" scheduled (id ${jobId}): runs code "${code.name}" sha256 ${code.hash} on ${event.compute} at "${job.schedule}" (UTC), ${when}; each run overwrites ${output.value.uri}; follow it in control.jobs and control.runs`,
    );
  }
  return accept(
    `job "${name.value}" accepted (id ${jobId}): runs code "${code.name}" sha256 ${code.hash} on ${event.compute}, output ${output.value.uri}; follow it in control.runs`,
    [{ kind: 'submit_job', jobId, attempts: 0 }],
  );
}

/** Stops the submitter's scheduled job(s) of that name; only the owner can, and ad hoc runs cannot be stopped. */
function deleteJob(state: CleanroomState, name: string, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const own = Object.values(state.jobs).filter((j) => j.participant === submitter.name && j.jobName === name);
  const live = own.filter((j) => isScheduled(j) && j.status !== 'DELETED');
  if (live.length === 0) {
    // Jobs that are over may be kept in history only (ProcessorContext.history).
    const over = ctx.history?.finishedJobsNamed(submitter.name, name) ?? { adHoc: false, deleted: false };
    if (own.some((j) => !isScheduled(j)) || over.adHoc) {
      return refuse(`job "${name}" is an ad hoc job: its single run cannot be stopped; DELETE stops scheduled jobs`);
    }
    if (own.length > 0 || over.deleted) return refuse(`job "${name}" is already deleted`);
    return refuse(`you have no scheduled job named "${name}": only a job's owner can delete it; see your jobs in control.jobs`);
  }
  const when = new Date(ctx.now).toISOString();
  for (const job of live) {
    const record = recordOf(state.jobs, job.jobId)!;
    record.status = 'DELETED';
    record.nextRunAt = null;
    record.statusMessage = `deleted by ${submitter.name} at ${when}; no further runs`;
  }
  const ids = live.map((j) => j.jobId).join(', ');
  return accept(`job "${name}" deleted (id ${ids}): no further runs; a run already started finishes`);
}
