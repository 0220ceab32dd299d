/**
 * The columns the seed's notebooks read in the published control tables, beside the clean room's own (views.ts):
 * approve_code lists pending code from control.code joined with control.approval_status on `code.id =
 * approval_status.code_id`, newer than the keeper's last decision in control.events; create_job lists approved
 * code by `name` and shows its `default_parameters`.
 */
import type { DeltaRow } from '../delta/schema-types';
import type { ApprovalEvent } from '../events/event-model';
import { recordOf, type CleanroomState, type CodeRecord } from './state';

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
 * approval_status.approval_timestamp of a code: the later of when its approval status was set and when the clean
 * room last processed a keeper's approval or rejection sent by the seed's notebook, whose uuid is the code id
 * (accepted or refused). The notebook treats a decision as in flight until the status row is newer.
 */
export function approvalTimestamp(code: CodeRecord): bigint {
  return micros(Math.max(code.approval.updatedAt, code.seedDecisionAt ?? code.approval.updatedAt));
}

/** Notes a keeper's approval or rejection whose uuid is a code's id (the seed's approve_code sends those). */
export function noteSeedDecision(state: CleanroomState, event: ApprovalEvent, now: number): void {
  const byName = event.codeName !== null ? recordOf(state.code, event.codeName) : undefined;
  const code = byName ?? (event.codeName === null ? Object.values(state.code).find((c) => c.codeId === event.uuid) : undefined);
  if (code && code.codeId === event.uuid) code.seedDecisionAt = now;
}
