/**
 * A code's approval status under the policy, kept current: when an approval is given or withdrawn, when a new
 * version is registered, when the policy changes (it never widens silently: approvals that no longer satisfy it
 * go back to pending, saying why), and when an approval lapses (approval.expires_after_days, approval.max_runs).
 */
import { createHash } from 'node:crypto';
import type { ApprovalPolicy } from '../config/approval-schema';
import { approvalRequirement, describeRequirement, lapseReason, policyOf, tally, type ApprovalRequirement } from './approval-policy';
import type { ProcessorContext } from './context';
import { codeVersionHash } from './code-version';
import { MAX_APPROVAL_HISTORY, type ApprovalHistoryEntry, type CleanroomState, type CodeRecord } from './state';

/** Sets the status from the approvals given so far (a rejection is left as it is). */
export function settleApproval(code: CodeRecord, requirement: ApprovalRequirement, now: number, wasApproved: boolean): void {
  const approval = code.approval;
  if (approval.status === 'CODE_REQUEST_REJECTED') return;
  const result = tally(requirement, Object.keys(approval.approvals ?? {}));
  if (result.approved) {
    approval.status = 'CODE_REQUEST_APPROVED';
    if (!wasApproved || approval.approvedAt === undefined) {
      approval.approvedAt = now;
      approval.runs = 0;
    }
    approval.note = requirement.automatic !== null ? `approved automatically: ${requirement.automatic}` : `approved by ${result.approvedBy.join(', ')}`;
  } else {
    approval.status = 'CODE_REQUEST_PENDING_APPROVAL';
    delete approval.approvedAt;
    delete approval.runs;
    approval.note = result.awaiting.length > 0 ? result.awaiting.join(', ') : describeRequirement(requirement);
  }
}

/** Appends to the code's decision history, keeping the most recent entries. */
export function recordDecision(code: CodeRecord, entry: ApprovalHistoryEntry): void {
  const history = [...(code.decisions ?? []), entry];
  code.decisions = history.slice(-MAX_APPROVAL_HISTORY);
}

export function policyFingerprint(policy: ApprovalPolicy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('hex');
}

/** True when reconcileApprovals would change the state (so an idle pass still writes nothing). */
export function hasApprovalWork(state: CleanroomState, ctx: Pick<ProcessorContext, 'approval' | 'now'>): boolean {
  const policy = policyOf(ctx);
  if ((state.approvalPolicy ?? policyFingerprint(policyOf({}))) !== policyFingerprint(policy)) return true;
  return Object.values(state.code).some((code) => lapseReason(code, policy, ctx.now) !== undefined);
}

/** Re-evaluates every code after a policy change, and lapses approvals past their expiry or run limit (in place). */
export function reconcileApprovals(state: CleanroomState, ctx: ProcessorContext): void {
  const policy = policyOf(ctx);
  const fingerprint = policyFingerprint(policy);
  const policyChanged = (state.approvalPolicy ?? policyFingerprint(policyOf({}))) !== fingerprint;
  for (const code of Object.values(state.code)) {
    const versionHash = codeVersionHash(code);
    const lapsed = lapseReason(code, policy, ctx.now);
    if (lapsed !== undefined) {
      code.approval = { ...code.approval, status: 'CODE_REQUEST_PENDING_APPROVAL', approvals: {}, updatedAt: ctx.now, note: `${lapsed}; approve the same version again to renew it` };
      delete code.approval.approvedAt;
      delete code.approval.runs;
      recordDecision(code, { at: ctx.now, by: null, decision: 'LAPSED', versionHash, reason: lapsed, eventUuid: null });
      continue;
    }
    if (!policyChanged || code.approval.status === 'CODE_REQUEST_REJECTED') continue;
    const wasApproved = code.approval.status === 'CODE_REQUEST_APPROVED';
    const requirement = approvalRequirement(code, policy, ctx.participants);
    settleApproval(code, requirement, ctx.now, wasApproved);
    if (wasApproved && code.approval.status !== 'CODE_REQUEST_APPROVED') {
      code.approval.updatedAt = ctx.now;
      const why = `the approval policy changed: the code now ${describeRequirement(requirement)}`;
      code.approval.note = `${why}; awaiting ${code.approval.note ?? ''}`.replace(/; awaiting $/, '');
      recordDecision(code, { at: ctx.now, by: null, decision: 'RESET', versionHash, reason: why, eventUuid: null });
    }
  }
  state.approvalPolicy = fingerprint;
}
