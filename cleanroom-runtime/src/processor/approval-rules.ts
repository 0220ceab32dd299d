/**
 * CODE_REQUEST_APPROVED / CODE_REQUEST_REJECTED: who may decide follows the approval policy (approval-policy.ts;
 * by default only the keeper); a rejection needs a reason; a decision applies to the version the approver reviewed
 * (content, language and default parameters: code-version.ts). A rejection with `revoke` withdraws the submitter's
 * own approval instead (the code goes back to awaiting it).
 * - api_version 2 carries the reviewed version hash: refused unless it is the current one (a content hash
 *   alone is refused too: it does not cover the language or the default parameters).
 * - api_version 1 (the seed's notebooks) carries no hash, so it can only mean a version the approver could see:
 *   an approval applies only to code that has had a single version since it was registered, applied before the
 *   approval was written; after any update the approver decides with the version hash (the CLI, api_version 2).
 *   A rejection applies when the current version was applied before it was written (rejecting is never unsafe).
 *   Event timestamps of the approver are trusted for this (the approver is the reviewer).
 * Every decision is kept in the code's history (control.approval_decisions).
 */
import type { ApprovalEvent } from '../events/event-model';
import { approvalRequirement, describeRequirement, mayDecide, policyOf } from './approval-policy';
import { recordDecision, settleApproval } from './approval-status';
import type { ParticipantInfo, ProcessorContext } from './context';
import { codeVersionHash } from './code-version';
import { accept, refuse, type Decision } from './decision';
import { quote } from './names';
import { recordOf, type CleanroomState, type CodeRecord } from './state';

const HEX_64 = /^[0-9a-f]{64}$/;

export function applyApproval(state: CleanroomState, event: ApprovalEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const approving = event.type === 'CODE_REQUEST_APPROVED';
  const revoking = !approving && event.revoke;
  const verb = approving ? 'approve' : revoking ? 'revoke an approval of' : 'reject';
  const policy = policyOf(ctx);
  const keeperOnly = policy.policy === 'keeper' && policy.quorum === undefined;
  if (keeperOnly && submitter.role !== 'keeper') return refuse(`only the keeper can ${approving ? 'approve' : 'reject'} code`);

  const found = findCode(state, event);
  if (!found.ok) return refuse(found.message);
  const code = found.code;
  const requirement = approvalRequirement(code, policy, ctx.participants);
  // Under the keeper policy the keeper decides on any code (as the seed's approve-code notebook does).
  if (!mayDecide(requirement, submitter.name) && !(policy.policy === 'keeper' && submitter.role === 'keeper')) {
    return refuse(`${submitter.name} cannot ${verb} "${code.name}": under the approval policy (${policy.policy}) it ${describeRequirement(requirement)}`);
  }
  if (!approving && !revoking && event.reason === '') {
    return refuse(`a rejection needs a reason: say what must change in "${code.name}" so its owner can fix it`);
  }
  const versionHash = codeVersionHash(code);
  const pinned = event.apiVersion === '1' ? hashlessProblem(code, event, approving) : reviewedHashProblem(code, event, versionHash);
  if (pinned !== undefined) return refuse(`${pinned}; review the current version and ${approving ? 'approve' : 'reject'} again`);

  const current = code.approval.versionHash === versionHash || code.approval.versionHash === undefined ? { ...(code.approval.approvals ?? legacyApprovals(code)) } : {};
  if (revoking && !Object.hasOwn(current, submitter.name)) {
    return refuse(`you have not approved version ${versionHash} of "${code.name}": there is no approval of yours to revoke`);
  }
  const reason = event.reason === '' ? null : event.reason;
  if (approving) current[submitter.name] = { at: ctx.now, eventUuid: event.uuid, reason };
  else if (revoking) delete current[submitter.name];
  const wasApproved = code.approval.status === 'CODE_REQUEST_APPROVED';
  code.approval = {
    ...code.approval,
    status: approving || revoking ? 'CODE_REQUEST_PENDING_APPROVAL' : 'CODE_REQUEST_REJECTED',
    hash: code.hash,
    versionHash,
    reason,
    reviewedBy: submitter.name,
    updatedAt: ctx.now,
    eventUuid: event.uuid,
    approvals: current,
  };
  if (approving || revoking) settleApproval(code, requirement, ctx.now, wasApproved);
  recordDecision(code, { at: ctx.now, by: submitter.name, decision: approving ? 'APPROVED' : revoking ? 'REVOKED' : 'REJECTED', versionHash, reason, eventUuid: event.uuid });

  if (!approving && !revoking) return accept(`code "${code.name}" version ${versionHash} (sha256 ${code.hash}) rejected: ${event.reason.slice(0, 2000)}`);
  if (revoking) return accept(`your approval of code "${code.name}" version ${versionHash} is revoked; ${statusWords(code)}`);
  if (code.approval.status === 'CODE_REQUEST_APPROVED') {
    return accept(`code "${code.name}" version ${versionHash} (sha256 ${code.hash}, ${code.language}, default parameters ${code.defaultParameters.slice(0, 500)}) approved; jobs can use this version`);
  }
  return accept(`your approval of code "${code.name}" version ${versionHash} is recorded; ${statusWords(code)}`);
}

/** Before approvals were kept per participant, an approved version had one approval: its reviewer's. */
function legacyApprovals(code: CodeRecord): Record<string, { at: number; eventUuid: string; reason: string | null }> {
  const a = code.approval;
  return a.status === 'CODE_REQUEST_APPROVED' && a.reviewedBy !== null ? { [a.reviewedBy]: { at: a.updatedAt, eventUuid: a.eventUuid, reason: a.reason } } : {};
}

function statusWords(code: CodeRecord): string {
  return code.approval.status === 'CODE_REQUEST_APPROVED' ? 'it stays approved' : `it awaits ${code.approval.note ?? 'approval'}`;
}

/** api_version 2: the version hash the keeper reviewed must be the current one. */
function reviewedHashProblem(code: CodeRecord, event: ApprovalEvent, versionHash: string): string | undefined {
  const reviewed = (event.reviewedVersionHash ?? '').trim().toLowerCase();
  if (reviewed === '') {
    const content = (event.reviewedHash ?? '').trim().toLowerCase();
    return content === code.hash
      ? `the request pins only the content sha256 of "${code.name}", which does not cover its language or default parameters: give version_hash ${versionHash} (the version shown by \`cleanroom code pending\`)`
      : `the request for "${code.name}" names no version_hash: give the version shown by \`cleanroom code pending\``;
  }
  if (!HEX_64.test(reviewed)) return `version_hash ${quote(reviewed, 70)} is not a sha256 hex digest (64 hex characters): copy it from \`cleanroom code pending\``;
  if (reviewed === code.hash) {
    return `${reviewed} is the content sha256 of "${code.name}", not its version hash: the version hash (${versionHash}, shown by \`cleanroom code pending\`) also covers the language and the default parameters`;
  }
  if (reviewed !== versionHash) {
    const known = code.versions.some((v) => v.versionHash === reviewed);
    return known
      ? `code "${code.name}" changed since you reviewed it: you reviewed version ${reviewed}, the current version is ${versionHash} (${describeCurrent(code)})`
      : `version ${reviewed} is not a version of "${code.name}" (the current one is ${versionHash}): check the hash you copied`;
  }
  return undefined;
}

/** api_version 1: no hash, so only a version the keeper must have seen. */
function hashlessProblem(code: CodeRecord, event: ApprovalEvent, approving: boolean): string | undefined {
  const current = code.versions[code.versions.length - 1];
  if (current && current.appliedAt > event.timestampMs) {
    return `code "${code.name}" changed after this request was written (new version sha256 ${code.hash})`;
  }
  if (approving && code.versions.length > 1) {
    return `code "${code.name}" has had ${code.versions.length} versions, and an approval without a hash (api_version "1") cannot say which one was reviewed: approve it with \`cleanroom code approve ${code.name} --hash ${codeVersionHash(code)}\``;
  }
  return undefined;
}

function describeCurrent(code: CodeRecord): string {
  return `${code.language}, content sha256 ${code.hash}, default parameters ${code.defaultParameters.slice(0, 300)}`;
}

function findCode(state: CleanroomState, event: ApprovalEvent): { ok: true; code: CodeRecord } | { ok: false; message: string } {
  // The id wins when present: a name may since have been deleted and re-registered by someone else.
  const byId = event.codeId !== null ? Object.values(state.code).filter((c) => c.codeId === event.codeId) : [];
  if (byId.length > 1) {
    return { ok: false, message: `code id ${quote(event.codeId, 100)} names ${byId.length} codes (${byId.map((c) => c.name).join(', ')}): decide with the code name and version hash (cleanroom code approve|reject)` };
  }
  const code = event.codeId !== null ? byId[0] : event.codeName !== null ? recordOf(state.code, event.codeName) : undefined;
  if (!code) {
    const ref = event.codeId !== null ? `with id ${event.codeId.slice(0, 100)}` : quote(event.codeName ?? '');
    return { ok: false, message: `code ${ref} does not exist (it may have been deleted): check control.code or control.approval_status` };
  }
  if (event.codeName !== null && event.codeName !== code.name) {
    return { ok: false, message: `code_id ${code.codeId} is the code "${code.name}", not ${quote(event.codeName)}: send the id and name shown in control.approval_status` };
  }
  return { ok: true, code };
}
