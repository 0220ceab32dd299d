/**
 * CODE_REQUEST_APPROVED / CODE_REQUEST_REJECTED: only the keeper decides; a rejection needs a reason; a decision
 * applies to the version the keeper reviewed.
 * - api_version 2 carries the reviewed hash: refused unless it is the current hash.
 * - api_version 1 carries none: refused when the current version was applied by the clean room after the
 *   approval event was written (its timestamp), i.e. the keeper cannot have seen it. Event timestamps of the
 *   keeper are trusted for this (the keeper is the reviewer); a collaborator cannot move them.
 */
import type { ApprovalEvent } from '../events/event-model';
import type { ParticipantInfo, ProcessorContext } from './context';
import { accept, refuse, type Decision } from './decision';
import { quote } from './names';
import { recordOf, type CleanroomState, type CodeRecord } from './state';

export function applyApproval(state: CleanroomState, event: ApprovalEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const approving = event.type === 'CODE_REQUEST_APPROVED';
  const verb = approving ? 'approve' : 'reject';
  if (submitter.role !== 'keeper') return refuse(`only the keeper can ${verb} code`);

  const found = findCode(state, event);
  if (!found.ok) return refuse(found.message);
  const code = found.code;
  if (!approving && event.reason === '') {
    return refuse(`a rejection needs a reason: say what must change in "${code.name}" so its owner can fix it`);
  }
  if (event.reviewedHash !== null) {
    const reviewed = event.reviewedHash.trim().toLowerCase();
    if (reviewed !== code.hash) {
      return refuse(`code "${code.name}" changed since you reviewed it: you reviewed sha256 ${reviewed.slice(0, 64)}, the current version is ${code.hash}; review the current version and ${verb} again`);
    }
  } else {
    const current = code.versions[code.versions.length - 1];
    if (current && current.appliedAt > event.timestampMs) {
      return refuse(`code "${code.name}" changed after this ${verb} request was written (new version sha256 ${code.hash}); review the current version and ${verb} again`);
    }
  }

  code.approval = {
    status: event.type,
    hash: code.hash,
    reason: event.reason === '' ? null : event.reason,
    reviewedBy: submitter.name,
    updatedAt: ctx.now,
    eventUuid: event.uuid,
  };
  return accept(
    approving
      ? `code "${code.name}" (sha256 ${code.hash}) approved; jobs can use this version`
      : `code "${code.name}" (sha256 ${code.hash}) rejected: ${event.reason.slice(0, 2000)}`,
  );
}

function findCode(state: CleanroomState, event: ApprovalEvent): { ok: true; code: CodeRecord } | { ok: false; message: string } {
  // The id wins when present: a name may since have been deleted and re-registered by someone else.
  const code =
    event.codeId !== null
      ? Object.values(state.code).find((c) => c.codeId === event.codeId)
      : event.codeName !== null
        ? recordOf(state.code, event.codeName)
        : undefined;
  if (!code) {
    const ref = event.codeId !== null ? `with id ${event.codeId.slice(0, 100)}` : quote(event.codeName ?? '');
    return { ok: false, message: `code ${ref} does not exist (it may have been deleted): check control.code or control.approval_status` };
  }
  if (event.codeName !== null && event.codeName !== code.name) {
    return { ok: false, message: `code_id ${code.codeId} is the code "${code.name}", not ${quote(event.codeName)}: send the id and name shown in control.approval_status` };
  }
  return { ok: true, code };
}
