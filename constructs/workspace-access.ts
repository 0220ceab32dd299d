import { Construct } from 'constructs';
import { DataDatabricksGroup } from '@cdktf/provider-databricks/lib/data-databricks-group';
import { DataDatabricksServicePrincipal } from '@cdktf/provider-databricks/lib/data-databricks-service-principal';
import { DataDatabricksUser } from '@cdktf/provider-databricks/lib/data-databricks-user';
import { Entitlements } from '@cdktf/provider-databricks/lib/entitlements';
import { Group } from '@cdktf/provider-databricks/lib/group';
import { GroupMember } from '@cdktf/provider-databricks/lib/group-member';
import { Permissions } from '@cdktf/provider-databricks/lib/permissions';
import { checkPrincipals, principalField } from './databricks-principal';
import { CLEANROOM_NAME, Problems, checkPattern } from './validation';

export interface CleanroomWorkspaceAccessProps {
  readonly cleanroomName: string;
  /** The runtime's principal when it is not the deployer (a workspace admin, who has all of this already). */
  readonly runtimePrincipal?: string;
}

/** `<clean room>-runtime`: the workspace group that carries the runtime principal's workspace-wide rights. */
export function runtimeGroupName(cleanroomName: string): string {
  return `${cleanroomName}-runtime`;
}

/**
 * Workspace-wide rights of the clean room's own workspace, so that a job principal cannot outlive its run: a personal
 * access token it minted inside a run would keep acting as it, and inherit the next run's grants.
 *
 * - Personal access tokens: a `databricks_permissions` with `authorization = "tokens"` lets only the runtime's group
 *   CAN_USE them, besides workspace admins, who always CAN_MANAGE them
 *   (https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/permissions#token-usage). The
 *   resource is authoritative over the whole workspace's token permissions: there can be only one per workspace, and
 *   every principal it leaves out (the `users` group included) loses token authentication and has its tokens revoked
 *   at once (https://docs.databricks.com/security/auth/api-access-permissions.html).
 * - Entitlements: every principal of a workspace is a member of `users`, and an entitlement that group holds (it holds
 *   Databricks SQL access by default) is held by each member whatever its own says
 *   (https://docs.databricks.com/security/auth/entitlements.html). The stack takes Databricks SQL access and cluster
 *   and pool creation from `users`, so the job principals' `databricks_sql_access = false` holds, and gives SQL access
 *   back to the runtime's group. Workspace access stays with `users` (restated: the resource sets every entitlement,
 *   https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/entitlements).
 *
 * - The runtime principal is a workspace admin (a member of `admins`): before a job principal serves another run the
 *   runtime deletes the jobs and cancels the runs it created, and only admins see every job and run
 *   (https://docs.databricks.com/jobs/privileges.html); a runtime that is not refuses to free a principal. The deployer
 *   creating the clean room's cluster policies is an admin already, so nothing is declared when it is the runtime.
 *
 * The group, not the principal itself, is named in the token ACL: the ACL needs at least one entry even when the
 * deployer is the runtime (an admin, whom an ACL cannot name), and operators get one place to add another identity.
 */
export class CleanroomWorkspaceAccess extends Construct {
  readonly runtimeGroup: Group;
  readonly tokenUsage: Permissions;
  readonly usersEntitlements: Entitlements;

  constructor(scope: Construct, id: string, props: CleanroomWorkspaceAccessProps) {
    super(scope, id);
    const problems = new Problems();
    checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
    checkPrincipals(problems, props);
    problems.throwIfAny(`CleanroomWorkspaceAccess "${id}"`);

    this.runtimeGroup = new Group(this, 'runtime-group', {
      displayName: runtimeGroupName(props.cleanroomName),
      workspaceAccess: true,
      databricksSqlAccess: true,
      allowClusterCreate: false,
      allowInstancePoolCreate: false,
    });
    const runtimeId = props.runtimePrincipal === undefined ? undefined : memberId(this, props.runtimePrincipal);
    const member = runtimeId === undefined ? undefined : new GroupMember(this, 'runtime-member', { groupId: this.runtimeGroup.id, memberId: runtimeId });
    if (runtimeId !== undefined) {
      const admins = new DataDatabricksGroup(this, 'admins', { displayName: 'admins' });
      new GroupMember(this, 'runtime-admin', { groupId: admins.id, memberId: runtimeId });
    }
    this.tokenUsage = new Permissions(this, 'token-usage', {
      authorization: 'tokens',
      accessControl: [{ groupName: this.runtimeGroup.displayName, permissionLevel: 'CAN_USE' }],
      // The runtime is in the group before `users` loses the right, so its token never stops working mid-deploy.
      ...(member === undefined ? {} : { dependsOn: [member] }),
    });

    const users = new DataDatabricksGroup(this, 'users', { displayName: 'users' });
    this.usersEntitlements = new Entitlements(this, 'users-entitlements', {
      groupId: users.id,
      workspaceAccess: true,
      databricksSqlAccess: false,
      allowClusterCreate: false,
      allowInstancePoolCreate: false,
    });
  }
}

/** The workspace id of an existing principal, looked up by application id or email, as group membership needs it. */
function memberId(scope: Construct, principal: string): string {
  const field = principalField(principal);
  if ('servicePrincipalName' in field) return new DataDatabricksServicePrincipal(scope, 'runtime-principal', { applicationId: principal }).id;
  if ('userName' in field) return new DataDatabricksUser(scope, 'runtime-principal', { userName: principal }).id;
  throw new Error(`runtimePrincipal "${principal}" must be a service principal application id or a user email`);
}
