import { Construct } from 'constructs';
import { AccessControlRuleSet } from '@cdktf/provider-databricks/lib/access-control-rule-set';
import { ServicePrincipal } from '@cdktf/provider-databricks/lib/service-principal';
import { DEFAULT_JOB_PRINCIPALS, MAX_JOB_PRINCIPALS } from 'cleanroom-runtime/src/engines/databricks/run-access-names';
import { DATABRICKS_PRINCIPAL, deployerAclPrincipalId } from './databricks-principal';
import { CLEANROOM_NAME, Problems, checkPattern } from './validation';

export interface CleanroomJobPrincipalsProps {
  readonly cleanroomName: string;
  /** How many principals the pool has (`databricks.job_principals`): 1 to MAX_JOB_PRINCIPALS, default DEFAULT_JOB_PRINCIPALS. */
  readonly count?: number;
  /** Default: the deployer. */
  readonly runtimePrincipal?: string;
  /**
   * The Databricks account id: with it, the runtime principal gets the servicePrincipal/user role on every job
   * principal, which runs/submit `run_as` needs (https://docs.databricks.com/api/workspace/jobs/submit); without it
   * the deployer, who creates the principals and so manages them, must be the runtime principal or grant the role.
   */
  readonly accountId?: string;
}

/** https://docs.databricks.com/gcp/en/admin/users-groups/service-principal-acl: may run jobs as the service principal. */
export const SERVICE_PRINCIPAL_USER_ROLE = 'roles/servicePrincipal.user';

/** `<clean room>-jobs-<n>`, n from 1. */
export function jobPrincipalDisplayName(cleanroomName: string, n: number): string {
  return `${cleanroomName}-jobs-${n}`;
}

/**
 * The pool of job principals: Databricks service principals participant code runs as (runs/submit `run_as`), so
 * approved code never holds the runtime's rights, and each held by at most one run at a time, so a run's grants are
 * its own. Statically a job principal holds only what entering the clean room takes: USE CATALOG on its catalog
 * (CleanroomCatalog), USE SCHEMA on the staging schema (StagingSchema), CAN_USE on the cluster policies
 * (ComputeSizes) and CAN_READ on the workspace folder (CleanroomWorkspaceFolder). Nothing on any external location:
 * reading files by path would go around per-table grants. For each run the runtime grants its principal SELECT on
 * the tables the run reads and write access to the run's staging volume, and revokes both when the run ends.
 */
export class CleanroomJobPrincipals extends Construct {
  readonly servicePrincipals: readonly ServicePrincipal[];
  /** The principals' application ids, in pool order: their names in grants and in `run_as`. */
  readonly applicationIds: readonly string[];

  constructor(scope: Construct, id: string, props: CleanroomJobPrincipalsProps) {
    super(scope, id);
    validateProps(props, `CleanroomJobPrincipals "${id}"`);
    const count = props.count ?? DEFAULT_JOB_PRINCIPALS;
    const member = props.accountId === undefined ? undefined : props.runtimePrincipal !== undefined ? ruleSetMember(props.runtimePrincipal) : deployerAclPrincipalId(this);
    const principals: ServicePrincipal[] = [];
    for (let n = 1; n <= count; n++) {
      const principal = new ServicePrincipal(this, `service-principal-${n}`, {
        displayName: jobPrincipalDisplayName(props.cleanroomName, n),
        // Runs get their clusters from the runtime's submission, on the clean room's policies: nothing else.
        allowClusterCreate: false,
        allowInstancePoolCreate: false,
        databricksSqlAccess: false,
      });
      if (member !== undefined) {
        // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/access_control_rule_set
        new AccessControlRuleSet(this, `run-as-rule-set-${n}`, {
          name: `accounts/${props.accountId}/servicePrincipals/${principal.applicationId}/ruleSets/default`,
          grantRules: [{ role: SERVICE_PRINCIPAL_USER_ROLE, principals: [member] }],
        });
      }
      principals.push(principal);
    }
    this.servicePrincipals = principals;
    this.applicationIds = principals.map((p) => p.applicationId);
  }
}

/** A rule set names a service principal by application id and a user by email. */
function ruleSetMember(principal: string): string {
  return /^[0-9a-f-]{36}$/.test(principal) ? `servicePrincipals/${principal}` : `users/${principal}`;
}

function validateProps(props: CleanroomJobPrincipalsProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  if (props.count !== undefined) {
    problems.check(
      Number.isInteger(props.count) && props.count >= 1 && props.count <= MAX_JOB_PRINCIPALS,
      'count',
      `a whole number of job principals from 1 to ${MAX_JOB_PRINCIPALS}`,
      props.count,
    );
  }
  if (props.runtimePrincipal !== undefined) {
    checkPattern(problems, 'runtimePrincipal', props.runtimePrincipal, DATABRICKS_PRINCIPAL, 'a service principal application id or a user email');
  }
  if (props.accountId !== undefined) {
    checkPattern(problems, 'accountId', props.accountId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a Databricks account id (UUID)');
  }
  problems.throwIfAny(construct);
}
