/**
 * The Databricks reads `cleanroom doctor` makes, through the engine's REST client (bearer auth, retries of 429/5xx):
 * the workspace's Unity Catalog metastore, a catalog, the caller's groups, cluster policies, SQL warehouses and their
 * access control lists. Shapes as the Databricks REST API reference documents them (https://docs.databricks.com/api/).
 */
import type { DatabricksClient } from '../engines/databricks';
import { DatabricksApiError } from '../engines/databricks';

export interface MetastoreAssignment {
  readonly metastore_id?: string;
  readonly workspace_id?: number;
}

export interface MetastoreSummary {
  readonly metastore_id?: string;
  readonly name?: string;
  /** Absent for metastores of workspaces enabled for Unity Catalog automatically. */
  readonly storage_root?: string;
}

export interface CatalogInfo {
  readonly name?: string;
  readonly storage_root?: string;
  readonly isolation_mode?: string;
  readonly owner?: string;
}

export interface AccessControlEntry {
  readonly user_name?: string;
  readonly group_name?: string;
  readonly service_principal_name?: string;
  readonly all_permissions?: ReadonlyArray<{ readonly permission_level?: string; readonly inherited?: boolean }>;
}

export interface CallerIdentity {
  readonly userName?: string;
  readonly groups?: ReadonlyArray<{ readonly display?: string }>;
}

/** Thin typed reads; a 404 comes back as undefined where "absent" is an answer. */
export class DatabricksAdmin {
  constructor(private readonly client: DatabricksClient) {}

  get host(): string {
    return this.client.host;
  }

  /** GET /api/2.1/unity-catalog/current-metastore-assignment; undefined when no metastore is assigned. */
  async metastoreAssignment(): Promise<MetastoreAssignment | undefined> {
    const assignment = await absentOn404(this.client.get<MetastoreAssignment>('/api/2.1/unity-catalog/current-metastore-assignment'));
    return assignment?.metastore_id ? assignment : undefined;
  }

  /** GET /api/2.1/unity-catalog/metastore_summary. */
  metastoreSummary(): Promise<MetastoreSummary> {
    return this.client.get<MetastoreSummary>('/api/2.1/unity-catalog/metastore_summary');
  }

  /** GET /api/2.1/unity-catalog/catalogs/{name}; undefined when it does not exist. */
  catalog(name: string): Promise<CatalogInfo | undefined> {
    return absentOn404(this.client.get<CatalogInfo>(`/api/2.1/unity-catalog/catalogs/${encodeURIComponent(name)}`));
  }

  /** GET /api/2.0/preview/scim/v2/Me. */
  me(): Promise<CallerIdentity> {
    return this.client.get<CallerIdentity>('/api/2.0/preview/scim/v2/Me');
  }

  /** GET /api/2.0/policies/clusters/list: name → policy id. */
  async clusterPolicies(): Promise<Map<string, string>> {
    const listed = await this.client.get<{ policies?: Array<{ policy_id?: string; name?: string }> }>('/api/2.0/policies/clusters/list');
    return new Map((listed.policies ?? []).filter((p) => p.name && p.policy_id).map((p) => [p.name as string, p.policy_id as string]));
  }

  /** GET /api/2.0/sql/warehouses: name → warehouse id. */
  async warehouses(): Promise<Map<string, string>> {
    const listed = await this.client.get<{ warehouses?: Array<{ id?: string; name?: string }> }>('/api/2.0/sql/warehouses');
    return new Map((listed.warehouses ?? []).filter((w) => w.name && w.id).map((w) => [w.name as string, w.id as string]));
  }

  /** GET /api/2.0/permissions/cluster-policies/{id} or /api/2.0/permissions/warehouses/{id}. */
  async accessControlList(objectType: 'cluster-policies' | 'warehouses', id: string): Promise<AccessControlEntry[]> {
    const acl = await this.client.get<{ access_control_list?: AccessControlEntry[] }>(`/api/2.0/permissions/${objectType}/${encodeURIComponent(id)}`);
    return acl.access_control_list ?? [];
  }
}

async function absentOn404<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof DatabricksApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** The permission levels an entry grants `principal` directly (application id, user name or group name). */
export function levelsOf(acl: readonly AccessControlEntry[], principal: string): string[] {
  const wanted = principal.toLowerCase();
  return acl
    .filter((entry) => [entry.service_principal_name, entry.user_name, entry.group_name].some((name) => name?.toLowerCase() === wanted))
    .flatMap((entry) => (entry.all_permissions ?? []).map((p) => p.permission_level ?? ''));
}

/** Levels that include using a policy or warehouse. */
export const USE_LEVELS = ['CAN_USE', 'CAN_MANAGE', 'IS_OWNER'];
