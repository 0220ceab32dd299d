/**
 * Who must approve a code's current version under the clean room's approval policy (cleanroom.yaml `approval:`),
 * and what its approvals add up to. Pure.
 *
 * - `keeper` (default): the keeper approves every collaborator's code; the keeper's own code needs no approval.
 * - `data_owners`: every participant whose datasets the code reads approves; the submitter's own datasets count as
 *   approved. Code whose reads are unknown (a notebook that declared none) needs every other participant.
 * - `quorum` (with either): also `count` distinct approvals from `approvers` (never the code's owner).
 * - `auto_approve`: SQL code whose content sha256 is listed is approved for anyone.
 * A rejection by anyone who may decide rejects the version until it changes.
 */
import { KEEPER_POLICY, type ApprovalPolicy } from '../config/approval-schema';
import type { ParticipantInfo } from './context';
import type { CodeRecord } from './state';

export interface ApprovalRequirement {
  /** Approved without anyone's decision (the keeper's own code under `keeper`, auto_approve, nothing to approve). */
  automatic: string | null;
  /** Participants each of whom must approve. */
  required: readonly string[];
  /** Distinct approvals needed from `approvers` besides `required`. */
  quorum: { count: number; approvers: readonly string[] } | null;
}

export interface ApprovalTally {
  approved: boolean;
  approvedBy: string[];
  /** Who could still approve to get it approved (every required one not yet, and quorum candidates if short). */
  awaiting: string[];
}

export function policyOf(ctx: { approval?: ApprovalPolicy }): ApprovalPolicy {
  return ctx.approval ?? KEEPER_POLICY;
}

export function approvalRequirement(code: CodeRecord, policy: ApprovalPolicy, participants: readonly ParticipantInfo[]): ApprovalRequirement {
  const keeper = participants.find((p) => p.role === 'keeper')?.name;
  const others = participants.map((p) => p.name).filter((name) => name !== code.owner);
  const quorum = policy.quorum ? { count: policy.quorum.count, approvers: policy.quorum.approvers.filter((name) => name !== code.owner) } : null;
  if (code.language === 'SQL' && policy.autoApprove.includes(code.hash)) {
    return { automatic: 'its content is a template the approval policy approves for anyone (approval.auto_approve)', required: [], quorum: null };
  }
  let required: string[];
  if (policy.policy === 'keeper') {
    required = code.owner === keeper || keeper === undefined ? [] : [keeper];
  } else if (code.reads === undefined) {
    required = others;
  } else {
    const owners = new Set(code.reads.map((read) => read.split('.')[0]));
    required = others.filter((name) => owners.has(name));
  }
  required.sort();
  if (required.length === 0 && quorum === null) {
    const why = policy.policy === 'keeper' ? 'it is the keeper\'s own code' : 'it reads no other participant\'s datasets';
    return { automatic: why, required, quorum };
  }
  return { automatic: null, required, quorum };
}

/** Who may approve or reject this code: its required approvers and the quorum's approvers. */
export function mayDecide(requirement: ApprovalRequirement, participant: string): boolean {
  return requirement.required.includes(participant) || (requirement.quorum?.approvers.includes(participant) ?? false);
}

export function tally(requirement: ApprovalRequirement, approvers: readonly string[]): ApprovalTally {
  const approvedBy = [...new Set(approvers)].sort();
  if (requirement.automatic !== null) return { approved: true, approvedBy, awaiting: [] };
  const missing = requirement.required.filter((name) => !approvedBy.includes(name));
  const awaiting = [...missing];
  let quorumMet = true;
  if (requirement.quorum) {
    const counted = requirement.quorum.approvers.filter((name) => approvedBy.includes(name)).length;
    quorumMet = counted >= requirement.quorum.count;
    if (!quorumMet) awaiting.push(...requirement.quorum.approvers.filter((name) => !approvedBy.includes(name) && !awaiting.includes(name)));
  }
  return { approved: missing.length === 0 && quorumMet, approvedBy, awaiting: awaiting.sort() };
}

/** The requirement in words, for status messages. */
export function describeRequirement(requirement: ApprovalRequirement): string {
  if (requirement.automatic !== null) return `approved automatically: ${requirement.automatic}`;
  const parts: string[] = [];
  if (requirement.required.length > 0) parts.push(`approvals of ${requirement.required.join(', ')}`);
  if (requirement.quorum) parts.push(`${requirement.quorum.count} of ${requirement.quorum.approvers.join(', ')}`);
  return `needs ${parts.join(' and ')}`;
}

/** Why an approved version has lapsed under the policy's expiry and run limit (undefined when it holds). */
export function lapseReason(code: CodeRecord, policy: ApprovalPolicy, now: number): string | undefined {
  const approval = code.approval;
  if (approval.status !== 'CODE_REQUEST_APPROVED' || approval.approvedAt === undefined) return undefined;
  if (policy.expiresAfterDays !== undefined && now >= approval.approvedAt + policy.expiresAfterDays * 86_400_000) {
    return `its approval lapsed ${policy.expiresAfterDays} days after it was given (approval.expires_after_days)`;
  }
  if (policy.maxRuns !== undefined && (approval.runs ?? 0) >= policy.maxRuns) {
    return `its approval lapsed after ${policy.maxRuns} runs (approval.max_runs)`;
  }
  return undefined;
}
