/**
 * `approval:` in cleanroom.yaml — who must approve a collaborator's code before it runs. Reviewed in pull requests
 * like the rest of the configuration; the runtime applies it at every pass (policy.ts in the processor).
 */
import { z } from 'zod';

export const APPROVAL_POLICIES = ['keeper', 'data_owners'] as const;
export type ApprovalPolicyName = (typeof APPROVAL_POLICIES)[number];

const SHA256 = /^[0-9a-f]{64}$/;

export function approvalSchema(participantName: RegExp) {
  return z
    .strictObject({
      policy: z
        .enum(APPROVAL_POLICIES)
        .default('keeper')
        .describe(
          "who approves code: keeper (the keeper approves every collaborator's code; the keeper's own code is approved on registration) or data_owners (every participant whose datasets the code reads; the submitter's own datasets count as approved)",
        ),
      quorum: z
        .number()
        .int()
        .min(1)
        .max(100)
        .optional()
        .describe('how many distinct approvals from approval.approvers a code also needs: a whole number from 1 to the number of approvers'),
      approvers: z
        .array(z.string().regex(participantName).describe('a participant name'))
        .min(1)
        .optional()
        .describe('the participants whose approvals count towards approval.quorum (a list of participant names)'),
      expires_after_days: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .optional()
        .describe('after how many days an approval lapses (a whole number from 1 to 3650); renewing is a new approval of the same version'),
      max_runs: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .optional()
        .describe('after how many runs an approval lapses (a whole number >= 1); renewing is a new approval of the same version'),
      auto_approve: z
        .array(z.string().regex(SHA256).describe('a sha256 hex digest (64 lowercase hex characters)'))
        .default([])
        .describe("content sha256 of SQL templates approved for anyone, reviewed in the pull request that adds them (each as `cleanroom code show` prints it)"),
    })
    .superRefine((approval, ctx) => {
      if (approval.quorum !== undefined && approval.approvers === undefined) {
        ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'expected the list of approvers that approval.quorum counts' });
      }
      if (approval.quorum !== undefined && approval.approvers !== undefined && approval.quorum > new Set(approval.approvers).size) {
        ctx.addIssue({ code: 'custom', path: ['quorum'], message: `expected at most ${new Set(approval.approvers).size} (the number of distinct approvers); got ${approval.quorum}` });
      }
      (approval.approvers ?? []).forEach((name, index) => {
        if (approval.approvers!.indexOf(name) !== index) ctx.addIssue({ code: 'custom', path: ['approvers', index], message: `expected each approver once; "${name}" is listed twice` });
      });
      if (approval.approvers !== undefined && approval.quorum === undefined) {
        ctx.addIssue({ code: 'custom', path: ['quorum'], message: 'expected how many of approval.approvers must approve (approval.quorum)' });
      }
    })
    .prefault({})
    .describe('the approval policy: policy (keeper or data_owners) and optional quorum with approvers, expires_after_days, max_runs, auto_approve');
}

/** The approval policy as the runtime applies it. */
export interface ApprovalPolicy {
  readonly policy: ApprovalPolicyName;
  readonly quorum?: { readonly count: number; readonly approvers: readonly string[] };
  readonly expiresAfterDays?: number;
  readonly maxRuns?: number;
  /** Content sha256 of SQL code approved for anyone. */
  readonly autoApprove: readonly string[];
}

export const KEEPER_POLICY: ApprovalPolicy = { policy: 'keeper', autoApprove: [] };

export function toApprovalPolicy(file: z.infer<ReturnType<typeof approvalSchema>>): ApprovalPolicy {
  return {
    policy: file.policy,
    ...(file.quorum !== undefined && file.approvers !== undefined ? { quorum: { count: file.quorum, approvers: [...file.approvers] } } : {}),
    ...(file.expires_after_days === undefined ? {} : { expiresAfterDays: file.expires_after_days }),
    ...(file.max_runs === undefined ? {} : { maxRuns: file.max_runs }),
    autoApprove: [...new Set(file.auto_approve)],
  };
}
