import { Construct } from 'constructs';
import { AccessControlRuleSet } from '@cdktf/provider-databricks/lib/access-control-rule-set';
import { ServicePrincipal } from '@cdktf/provider-databricks/lib/service-principal';
import { DATABRICKS_PRINCIPAL, deployerUserName } from './databricks-principal';
import { CLEANROOM_NAME, Problems, checkPattern } from './validation';

export interface CleanroomJobPrincipalProps {
  readonly cleanroomName: string;
  /** Default: the deployer. */
  readonly runtimePrincipal?: string;
  /**
   * The Databricks account id: with it, the runtime principal gets the servicePrincipal/user role on the job
   * principal, which runs/submit `run_as` needs (https://docs.databricks.com/api/workspace/jobs/submit); without it
   * the deployer, who creates the principal and so manages it, must be the runtime principal or grant the role.
   */
  readonly accountId?: string;
}

/** https://docs.databricks.com/gcp/en/admin/users-groups/service-principal-acl: may run jobs as the service principal. */
export const SERVICE_PRINCIPAL_USER_ROLE = 'roles/servicePrincipal.user';

/**
 * The job principal: a Databricks service principal participant code runs as (runs/submit `run_as`), so approved
 * code never holds the runtime's rights. Its grants are declared where the securables are: SELECT in the clean
 * room's catalog (CleanroomCatalog), READ FILES on the participants' dataset locations (ParticipantDataLocations),
 * READ and WRITE FILES on the clean room's staging location (StagingLocation) and nothing on any participant's
 * `output/`, which only the runtime principal writes (its release notebook, after the checks).
 */
export class CleanroomJobPrincipal extends Construct {
  readonly servicePrincipal: ServicePrincipal;
  /** The principal's application id: its name in grants and in `run_as`. */
  readonly applicationId: string;

  constructor(scope: Construct, id: string, props: CleanroomJobPrincipalProps) {
    super(scope, id);
    validateProps(props, `CleanroomJobPrincipal "${id}"`);
    this.servicePrincipal = new ServicePrincipal(this, 'service-principal', {
      displayName: `${props.cleanroomName}-jobs`,
      // Runs get their clusters from the runtime's submission, on the clean room's policies: nothing else.
      allowClusterCreate: false,
      allowInstancePoolCreate: false,
      databricksSqlAccess: false,
    });
    this.applicationId = this.servicePrincipal.applicationId;
    if (props.accountId !== undefined) {
      const runtimePrincipal = props.runtimePrincipal ?? deployerUserName(this);
      const member = /^[0-9a-f-]{36}$/.test(runtimePrincipal) ? `servicePrincipals/${runtimePrincipal}` : `users/${runtimePrincipal}`;
      // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/access_control_rule_set
      new AccessControlRuleSet(this, 'run-as-rule-set', {
        name: `accounts/${props.accountId}/servicePrincipals/${this.applicationId}/ruleSets/default`,
        grantRules: [{ role: SERVICE_PRINCIPAL_USER_ROLE, principals: [member] }],
      });
    }
  }
}

function validateProps(props: CleanroomJobPrincipalProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  if (props.runtimePrincipal !== undefined) {
    checkPattern(problems, 'runtimePrincipal', props.runtimePrincipal, DATABRICKS_PRINCIPAL, 'a service principal application id or a user email');
  }
  if (props.accountId !== undefined) {
    checkPattern(problems, 'accountId', props.accountId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a Databricks account id (UUID)');
  }
  problems.throwIfAny(construct);
}
