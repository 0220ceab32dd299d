/**
 * The columns the seed's notebooks read in the published control tables, beside the clean room's own (views.ts):
 * approve_code lists pending code from control.code joined with control.approval_status on `code.id =
 * approval_status.code_id`, newer than the keeper's last decision in control.events; create_job lists approved
 * code by `name` and shows its `default_parameters`.
 */
import type { DeltaRow } from '../delta/schema-types';
import type { CleanroomState, CodeRecord } from './state';

const micros = (ms: number): bigint => BigInt(ms) * 1000n;

/** control.code's seed columns for one code. */
export function seedCodeColumns(code: CodeRecord): DeltaRow {
  const current = code.versions[code.versions.length - 1];
  return {
    id: code.codeId,
    name: code.name,
    participant_name: code.owner,
    notebook_hash: code.seedHash ?? null,
    default_compute: code.defaultCompute ?? null,
    submitted_timestamp: micros(current?.appliedAt ?? code.updatedAt),
  };
}

/**
 * approval_status.approval_timestamp of every code, by code id: the later of when its approval status was set and
 * when the clean room last processed a keeper's approval or rejection sent by the seed's notebook, whose uuid is
 * the code id (accepted or refused). The notebook treats a decision as in flight until the status row is newer.
 */
export function approvalTimestamps(state: CleanroomState, keeper: string): Map<string, bigint> {
  const decided = new Map<string, number>();
  for (const status of state.eventStatus[keeper] ?? []) {
    if (status.eventType !== 'CODE_REQUEST_APPROVED' && status.eventType !== 'CODE_REQUEST_REJECTED') continue;
    decided.set(status.eventUuid, Math.max(decided.get(status.eventUuid) ?? status.processedAt, status.processedAt));
  }
  const result = new Map<string, bigint>();
  for (const code of Object.values(state.code)) {
    result.set(code.codeId, micros(Math.max(code.approval.updatedAt, decided.get(code.codeId) ?? code.approval.updatedAt)));
  }
  return result;
}
