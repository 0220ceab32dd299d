/**
 * Each participant's view of the published control tables (docs/protocol.md, Visibility):
 * data, code, approval_status: the keeper sees everything, a collaborator its own and the keeper's;
 * jobs, runs: the keeper sees everything, a collaborator its own; event_status: own events only.
 * Rows follow control/tables.ts and the DeltaRow conventions (timestamps and longs as bigint).
 */
import { createHash } from 'node:crypto';
import type { ControlTableName } from '../control/tables';
import type { DeltaRow } from '../delta/schema-types';
import { approvalRequirement, mayDecide, policyOf, type ApprovalRequirement } from './approval-policy';
import type { ApprovalPolicy } from '../config/approval-schema';
import { codeVersionHash } from './code-version';
import { codeObjectKey } from './effects';
import type { ParticipantInfo } from './context';
import { isScheduled, parseRunKey } from './schedules';
import { approvalTimestamp, seedCodeColumns } from './seed-columns';
import type { CleanroomState, CodeRecord, RunRecord } from './state';

export type PublishedTable = Exclude<ControlTableName, 'events'>;
export type ParticipantView = Record<PublishedTable, DeltaRow[]>;

const micros = (ms: number | null): bigint | null => (ms === null ? null : BigInt(ms) * 1000n);
const byKey = <T>(items: T[], key: (item: T) => string): T[] => [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

/** What the approval policy adds to visibility: who may decide on a code sees it (and its decisions) to review it. */
export interface ViewPolicy {
  participants: readonly ParticipantInfo[];
  approval?: ApprovalPolicy;
}

export function viewFor(state: CleanroomState, viewer: ParticipantInfo, keeper: string, policy?: ViewPolicy): ParticipantView {
  const isKeeper = viewer.name === keeper;
  const sharedVisible = (owner: string) => isKeeper || owner === viewer.name || owner === keeper;
  const ownVisible = (owner: string) => isKeeper || owner === viewer.name;
  const requirements = new Map<CodeRecord, ApprovalRequirement>();
  const requirement = (c: CodeRecord) => {
    if (!requirements.has(c)) requirements.set(c, approvalRequirement(c, policyOf(policy ?? {}), policy?.participants ?? []));
    return requirements.get(c)!;
  };
  const approverOf = (c: CodeRecord) => policy !== undefined && mayDecide(requirement(c), viewer.name);

  const datasets = byKey(Object.values(state.datasets).filter((d) => sharedVisible(d.participant)), (d) => `${d.participant}.${d.table}`);
  const code = byKey(Object.values(state.code).filter((c) => sharedVisible(c.owner) || approverOf(c)), (c) => c.name);
  const decisionsSeen = code.filter((c) => isKeeper || c.owner === viewer.name || approverOf(c));
  const jobs = byKey(Object.values(state.jobs).filter((j) => ownVisible(j.participant)), (j) => `${j.createdAt.toString().padStart(15, '0')}:${j.jobId}`);
  const runsByJob = new Map<string, Array<{ run: RunRecord; scheduledFor: string | null }>>();
  for (const [key, run] of Object.entries(state.runs)) {
    const { jobId, occurrence } = parseRunKey(key);
    const list = runsByJob.get(jobId) ?? [];
    list.push({ run, scheduledFor: occurrence });
    runsByJob.set(jobId, list);
  }
  const runs = jobs.flatMap((job) =>
    byKey(runsByJob.get(job.jobId) ?? [], (r) => r.scheduledFor ?? '').map(({ run, scheduledFor }) => ({ job, run, scheduledFor })),
  );

  return {
    data: datasets.map((d) => ({
      data_id: d.dataId,
      participant: d.participant,
      data_metastore_name: `${d.participant}.${d.table}`,
      description: d.description,
      location: d.location,
      format: d.format,
      schema: d.schema,
      created_at: micros(d.createdAt),
      updated_at: micros(d.updatedAt),
      event_uuid: d.eventUuid,
      events_version: BigInt(d.eventsVersion),
    })),
    code: code.map((c) => ({
      code_id: c.codeId,
      participant: c.owner,
      code_name: c.name,
      description: c.description,
      notebook_language: c.language,
      default_parameters: c.defaultParameters,
      notebook_contents_hash: c.hash,
      version_hash: codeVersionHash(c),
      reads: c.reads === undefined ? null : c.reads.join(','),
      group_size_column: c.groupSizeColumn ?? null,
      stored_path: `gs://${viewer.bucket}/${codeObjectKey(c.owner, c.name, c.hash)}`,
      created_at: micros(c.createdAt),
      updated_at: micros(c.updatedAt),
      event_uuid: c.eventUuid,
      events_version: BigInt(c.eventsVersion),
      ...seedCodeColumns(c),
    })),
    approval_status: code.map((c) => ({
      code_id: c.codeId,
      code_name: c.name,
      participant: c.owner,
      notebook_contents_hash: c.hash,
      version_hash: codeVersionHash(c),
      approval_status: c.approval.status,
      reason: c.approval.reason,
      reviewed_by: c.approval.reviewedBy,
      updated_at: micros(c.approval.updatedAt),
      event_uuid: c.approval.eventUuid,
      approved_by: Object.keys(c.approval.approvals ?? (c.approval.status === 'CODE_REQUEST_APPROVED' && c.approval.reviewedBy ? { [c.approval.reviewedBy]: true } : {})).sort().join(','),
      awaiting: c.approval.status === 'CODE_REQUEST_PENDING_APPROVAL' ? awaitingOf(c, requirement(c)) : null,
      status_message: c.approval.note ?? null,
      approval_timestamp: approvalTimestamp(c),
    })),
    jobs: jobs.map((j) => ({
      job_id: j.jobId,
      job_name: j.jobName,
      participant: j.participant,
      code_id: j.codeId,
      code_name: j.codeName,
      notebook_contents_hash: j.hash,
      version_hash: j.versionHash ?? null,
      parameters: JSON.stringify(j.parameters),
      compute: j.compute,
      schedule: j.schedule,
      created_at: micros(j.createdAt),
      event_uuid: j.eventUuid,
      events_version: BigInt(j.eventsVersion),
      status: isScheduled(j) ? (j.status ?? 'ACTIVE') : 'AD_HOC',
      status_message: j.statusMessage ?? null,
      next_run_at: micros(j.nextRunAt ?? null),
    })),
    runs: runs.map(({ job, run, scheduledFor }) => ({
      run_id: run.runId,
      job_id: job.jobId,
      job_name: job.jobName,
      participant: job.participant,
      engine: run.engine,
      state: run.lifeCycleState,
      result_state: run.resultState,
      state_message: run.stateMessage,
      start_time: micros(run.startTime),
      end_time: micros(run.endTime),
      run_page_url: run.runPageUrl,
      output_location: job.outputLocation,
      error: run.error,
      error_trace: run.errorTrace,
      updated_at: micros(run.updatedAt),
      scheduled_for: scheduledFor === null ? null : micros(Date.parse(scheduledFor)),
      release_state: run.release?.state ?? null,
      rows_suppressed: run.release === undefined ? null : BigInt(run.release.rowsSuppressed),
      release_message: run.release?.message ?? null,
      input_versions: run.inputVersions ? JSON.stringify(Object.fromEntries(Object.entries(run.inputVersions).sort(([a], [b]) => (a < b ? -1 : 1)))) : null,
    })),
    event_status: (state.eventStatus[viewer.name] ?? []).map((s) => ({
      event_uuid: s.eventUuid,
      participant: viewer.name,
      event_type: s.eventType,
      events_version: BigInt(s.eventsVersion),
      status: s.status,
      message: s.message,
      processed_at: micros(s.processedAt),
    })),
    approval_decisions: decisionsSeen.flatMap((c) =>
      (c.decisions ?? []).map((d) => ({
        code_id: c.codeId,
        code_name: c.name,
        participant: c.owner,
        version_hash: d.versionHash,
        decision: d.decision,
        decided_by: d.by,
        reason: d.reason,
        decided_at: micros(d.at),
        event_uuid: d.eventUuid,
      })),
    ),
  };
}

/** Who a pending code still awaits under the policy, comma-separated. */
function awaitingOf(code: CodeRecord, requirement: ApprovalRequirement): string {
  const given = new Set(Object.keys(code.approval.approvals ?? {}));
  const missing = requirement.required.filter((name) => !given.has(name));
  const counted = requirement.quorum ? requirement.quorum.approvers.filter((name) => given.has(name)).length : 0;
  if (requirement.quorum && counted < requirement.quorum.count) {
    missing.push(...requirement.quorum.approvers.filter((name) => !given.has(name) && !missing.includes(name)));
  }
  return missing.sort().join(',');
}

/** Content hash of a table's rows, to publish only what changed. */
export function rowsHash(rows: readonly DeltaRow[]): string {
  return createHash('sha256').update(rowText(rows)).digest('hex');
}

/** Rows (or one row) as JSON text, bigints and binaries included: what rowsHash hashes. */
export function rowText(rows: readonly DeltaRow[] | DeltaRow): string {
  return JSON.stringify(rows, (_key, value: unknown) =>
    typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
  );
}

/** Code objects a participant's bucket must hold: the current version of every code it may see (or must review). */
export function codeObjectsFor(state: CleanroomState, viewer: ParticipantInfo, keeper: string, policy?: ViewPolicy): Array<{ key: string; hash: string }> {
  const isKeeper = viewer.name === keeper;
  const approverOf = (c: CodeRecord) => policy !== undefined && mayDecide(approvalRequirement(c, policyOf(policy), policy.participants), viewer.name);
  return byKey(
    Object.values(state.code)
      .filter((c) => isKeeper || c.owner === viewer.name || c.owner === keeper || approverOf(c))
      .map((c) => ({ key: codeObjectKey(c.owner, c.name, c.hash), hash: c.hash })),
    (o) => o.key,
  );
}
