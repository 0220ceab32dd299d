/** How a Databricks principal is named in permissions (access control lists) and Unity Catalog grants. */
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DataDatabricksCurrentUser } from '@cdktf/provider-databricks/lib/data-databricks-current-user';
import { checkPattern, type Problems } from './validation';

const APPLICATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USER_EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/;

const unanchored = (pattern: RegExp): string => pattern.source.replace(/^\^|\$$/g, '');
/** A service principal's application id or a user's email (the principals a token can belong to). */
export const DATABRICKS_PRINCIPAL = new RegExp(`^(?:${unanchored(APPLICATION_ID)}|${unanchored(USER_EMAIL)})$`);
/** A principal that may own Unity Catalog objects: a group name as well. */
export const DATABRICKS_OWNER = new RegExp(`^(?:${unanchored(APPLICATION_ID)}|${unanchored(USER_EMAIL)}|${unanchored(GROUP_NAME)})$`);

export type PrincipalField = { servicePrincipalName: string } | { userName: string } | { groupName: string };

/**
 * The access-control entry field of a principal: `service_principal_name` for an application id, `user_name` for an
 * email, `group_name` otherwise (https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/permissions).
 */
export function principalField(principal: string): PrincipalField {
  if (APPLICATION_ID.test(principal)) return { servicePrincipalName: principal };
  if (USER_EMAIL.test(principal)) return { userName: principal };
  return { groupName: principal };
}

/**
 * The user name (or service principal application id) of the identity deploying the stack, from one
 * `databricks_current_user` data source per stack: the default runtime principal and owner.
 */
export function deployerUserName(scope: Construct): string {
  return deployer(scope).userName;
}

/**
 * The deploying identity as an access-control rule set names it (`users/<email>` or `servicePrincipals/<application
 * id>`): `acl_principal_id` of `databricks_current_user`, known only at apply time, so a service principal deploying is
 * never named as a user (https://registry.terraform.io/providers/databricks/databricks/latest/docs/data-sources/current_user).
 */
export function deployerAclPrincipalId(scope: Construct): string {
  return deployer(scope).aclPrincipalId;
}

function deployer(scope: Construct): DataDatabricksCurrentUser {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(DEPLOYER_ID);
  return existing instanceof DataDatabricksCurrentUser ? existing : new DataDatabricksCurrentUser(stack, DEPLOYER_ID);
}

const DEPLOYER_ID = 'databricks-deployer';

/** The usual pair of optional principals a construct takes: the runtime's (who acts) and the owner (who owns). */
export function checkPrincipals(problems: Problems, props: { readonly runtimePrincipal?: string; readonly owner?: string }): void {
  if (props.runtimePrincipal !== undefined) {
    checkPattern(problems, 'runtimePrincipal', props.runtimePrincipal, DATABRICKS_PRINCIPAL, 'a service principal application id or a user email');
  }
  if (props.owner !== undefined) {
    checkPattern(problems, 'owner', props.owner, DATABRICKS_OWNER, 'a group name, user email or service principal application id');
  }
}
