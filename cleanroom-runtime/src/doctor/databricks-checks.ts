/** Checks on a Databricks workspace that both sides of the clean room run. */
import { DatabricksApiError, EngineUnavailableError } from '../engines/databricks';
import type { DatabricksAdmin } from './databricks-admin';
import { ok, pending, problem, type Finding } from './findings';

export function failedDatabricksCall(check: string, error: unknown): Finding {
  if (error instanceof DatabricksApiError && (error.status === 401 || error.status === 403)) {
    return problem(check, `refused by Databricks (${error.message})`, 'use a token of a workspace admin (DATABRICKS_TOKEN, or DATABRICKS_TOKEN_FILE)');
  }
  if (error instanceof EngineUnavailableError) return problem(check, `Databricks did not answer: ${error.message}`, 'run cleanroom doctor again');
  return problem(check, `cannot check: ${(error as Error).message}`, 'run cleanroom doctor again');
}

/**
 * Unity Catalog must be enabled (a metastore assigned to the workspace). A metastore without root storage is
 * fine, as every catalog the stacks create has its own storage root
 * (https://docs.databricks.com/gcp/en/connect/unity-catalog/cloud-storage/managed-storage).
 */
export async function checkMetastore(admin: DatabricksAdmin): Promise<Finding[]> {
  const check = `Unity Catalog metastore of ${admin.host}`;
  try {
    const assignment = await admin.metastoreAssignment();
    if (assignment === undefined) {
      return [problem(check, 'no metastore is assigned to the workspace', 'an account admin assigns a Unity Catalog metastore of the same region to the workspace (account console, Catalog)')];
    }
    const summary = await admin.metastoreSummary();
    return [
      ok(check, `metastore ${summary.name ?? assignment.metastore_id} assigned`),
      ok(
        `storage root of metastore ${summary.name ?? assignment.metastore_id}`,
        summary.storage_root ? summary.storage_root : 'none (as for workspaces enabled automatically): fine, each catalog the stacks create has its own storage root',
      ),
    ];
  } catch (error) {
    return [failedDatabricksCall(check, error)];
  }
}

/** A catalog the stack declares: absent before the deploy, then with its own storage root. */
export async function checkCatalog(admin: DatabricksAdmin, name: string, expectedRoot: string, deployWith: string): Promise<Finding> {
  const check = `catalog ${name}`;
  try {
    const catalog = await admin.catalog(name);
    if (catalog === undefined) return pending(check, 'not created yet', `${deployWith} creates it`);
    if (catalog.storage_root?.replace(/\/?$/, '/') !== expectedRoot) {
      return problem(check, `storage root is ${catalog.storage_root ?? 'not set'}, expected ${expectedRoot}`, `${deployWith} again, or drop the catalog if another stack created it`);
    }
    return ok(check, `storage root ${catalog.storage_root}`);
  } catch (error) {
    return failedDatabricksCall(check, error);
  }
}

/** The deployer must be a workspace admin (only admins create cluster policies) and belong to the configured owner. */
export async function checkCaller(admin: DatabricksAdmin, owner: string | undefined, needsAdmin: boolean): Promise<Finding[]> {
  const check = `your Databricks identity in ${admin.host}`;
  try {
    const me = await admin.me();
    const groups = new Set((me.groups ?? []).map((g) => g.display ?? ''));
    const findings: Finding[] = [];
    if (needsAdmin && !groups.has('admins')) {
      findings.push(problem(check, `${me.userName ?? 'you'} is not a workspace admin, and only admins create cluster policies`, 'deploy as a workspace admin (a member of the admins group)'));
    } else {
      findings.push(ok(check, `${me.userName ?? 'you'}${needsAdmin ? ', a workspace admin' : ''}`));
    }
    if (owner !== undefined && owner !== me.userName && !groups.has(owner)) {
      findings.push(
        problem(`owner ${owner}`, `${me.userName ?? 'you'} neither is nor belongs to it, so the deploy cannot grant on the objects it creates for that owner`, `add ${me.userName ?? 'the deployer'} to ${owner}, or deploy as a member`),
      );
    }
    return findings;
  } catch (error) {
    return [failedDatabricksCall(check, error)];
  }
}
