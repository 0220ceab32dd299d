/**
 * One run's access on Databricks, granted and revoked through Unity Catalog's REST API (never SQL text: names and
 * principals travel as JSON). For its run, the job principal the run holds gets USE_SCHEMA on each schema it reads,
 * SELECT on each table it reads, and READ/WRITE VOLUME on an external volume the runtime creates over the run's
 * staging folder; revoking removes all of it and drops the volume (its files stay for the release step and the
 * staging sweep). Owners grant on what they own: the runtime creates the participants' schemas, their tables and the
 * runs' volumes (https://docs.databricks.com/gcp/en/dev-tools/cli/reference/grants-commands: "Access can be granted
 * by either a metastore admin, the owner of an object, or the owner of the catalog or schema that contains the object").
 */
import { createHash } from 'node:crypto';
import type { RunAccess } from '../engine';
import { RunRefusedError } from '../errors';
import type { DatabricksClient } from './databricks-client';
import { DatabricksApiError, DatabricksInputError } from './errors';
import { assertGsLocation, assertParticipant, assertTableName } from './identifiers';
import { runAsFor } from './submit-request';
import { RUN_SCHEMA_PRIVILEGES, RUN_TABLE_PRIVILEGES, RUN_VOLUME_PRIVILEGES, STAGING_SCHEMA } from './run-access-names';

/** Securable types as the SDKs name them in the permissions path (databricks-sdk-go catalog SecurableType). */
type SecurableType = 'schema' | 'table' | 'volume';

interface Grant {
  type: SecurableType;
  fullName: string;
  privileges: readonly string[];
}

/** The volume over a run's staging folder: named by a digest of the folder, so each run has its own. */
export function stagingVolumeName(staging: string): string {
  return `run_${createHash('sha256').update(staging).digest('hex').slice(0, 40)}`;
}

/** Where the run's code writes its result: the volume's path (https://docs.databricks.com/sql/language-manual/sql-ref-volumes.html). */
export function stagingVolumePath(catalog: string, staging: string): string {
  return `/Volumes/${catalog}/${STAGING_SCHEMA}/${stagingVolumeName(staging)}`;
}

/** Every grant of this access, in a stable order (schemas, tables, the volume). */
export function runGrants(catalog: string, access: RunAccess): Grant[] {
  const tables = [...new Set(access.reads)].sort();
  const schemas = [...new Set(tables.map((name) => name.slice(0, name.indexOf('.'))))];
  return [
    ...schemas.map((schema) => ({ type: 'schema' as const, fullName: `${catalog}.${schema}`, privileges: RUN_SCHEMA_PRIVILEGES })),
    ...tables.map((table) => ({ type: 'table' as const, fullName: `${catalog}.${table}`, privileges: RUN_TABLE_PRIVILEGES })),
    ...(access.staging === null ? [] : [{ type: 'volume' as const, fullName: `${catalog}.${STAGING_SCHEMA}.${stagingVolumeName(access.staging)}`, privileges: RUN_VOLUME_PRIVILEGES }]),
  ];
}

/**
 * Refuses an access whose names could not be grants of this clean room, before any request: to grant, the principal
 * must be one of the pool (`pool`); to revoke, any principal that held it (one dropped from the pool since included).
 */
export function assertRunAccess(access: RunAccess, pool?: readonly string[]): void {
  if (pool !== undefined && !pool.includes(access.principal)) {
    throw new DatabricksInputError(`principal ${JSON.stringify(access.principal)} is not one of the clean room's job principals`);
  }
  runAsFor(access.principal); // refuses what is neither an application id nor an email
  for (const name of access.reads) {
    const [participant, table, ...rest] = name.split('.');
    if (rest.length > 0 || participant === undefined || table === undefined) throw new DatabricksInputError(`dataset ${JSON.stringify(name)} is not <participant>.<table>`);
    assertParticipant(participant);
    assertTableName(table);
  }
  if (access.staging !== null) assertGsLocation(access.staging);
}

export class RunAccessGrants {
  constructor(private readonly client: DatabricksClient, private readonly catalog: string) {}

  /** Creates the run's volume (or finds it, over the same folder) and grants the access. */
  async grant(access: RunAccess): Promise<void> {
    if (access.staging !== null) await this.ensureVolume(access.staging);
    for (const grant of runGrants(this.catalog, access)) await this.change(grant, access.principal, 'add');
  }

  /** Removes every grant of the access and drops the volume; what is already gone is no error. */
  async revoke(access: RunAccess): Promise<void> {
    for (const grant of runGrants(this.catalog, access)) {
      try {
        await this.change(grant, access.principal, 'remove');
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    if (access.staging === null) return;
    try {
      // An external volume's files are not deleted with it (https://docs.databricks.com/en/sql/language-manual/sql-ref-syntax-ddl-drop-volume.html).
      await this.client.delete(`/api/2.1/unity-catalog/volumes/${encodeURIComponent(this.volumeFullName(access.staging))}`);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  private volumeFullName(staging: string): string {
    return `${this.catalog}.${STAGING_SCHEMA}.${stagingVolumeName(staging)}`;
  }

  private async change(grant: Grant, principal: string, how: 'add' | 'remove'): Promise<void> {
    // https://docs.databricks.com/api/workspace/grants/update
    await this.client.patch(`/api/2.1/unity-catalog/permissions/${grant.type}/${encodeURIComponent(grant.fullName)}`, {
      changes: [{ principal, [how]: [...grant.privileges] }],
    });
  }

  private async ensureVolume(staging: string): Promise<void> {
    const name = stagingVolumeName(staging);
    try {
      // https://docs.databricks.com/api/workspace/volumes/create
      await this.client.post('/api/2.1/unity-catalog/volumes', {
        catalog_name: this.catalog,
        schema_name: STAGING_SCHEMA,
        name,
        volume_type: 'EXTERNAL',
        storage_location: staging,
        comment: 'cleanroom: one run writes its result here; the runtime drops the volume when the run ends',
      });
      return;
    } catch (error) {
      if (!(error instanceof DatabricksApiError && (error.status === 409 || /ALREADY_EXISTS/.test(error.errorCode ?? '')))) throw error;
    }
    // A retried submission finds its own volume; a volume of that name over another folder is never used.
    const existing = await this.client.get<{ storage_location?: unknown }>(`/api/2.1/unity-catalog/volumes/${encodeURIComponent(this.volumeFullName(staging))}`);
    if (typeof existing.storage_location !== 'string' || trimSlash(existing.storage_location) !== trimSlash(staging)) {
      throw new RunRefusedError(`the staging volume ${name} exists over another location (${String(existing.storage_location).slice(0, 200)}), not over ${staging}`);
    }
  }
}

function trimSlash(location: string): string {
  return location.replace(/\/+$/, '');
}

/**
 * A grant or volume that no longer exists: its table was dropped, an earlier revoke already removed it, or the
 * principal itself is gone from the workspace (Unity Catalog answers "Could not find principal with name …",
 * https://github.com/databricks/terraform-provider-databricks/issues/1773), which then holds nothing.
 */
function isGone(error: unknown): boolean {
  if (!(error instanceof DatabricksApiError)) return false;
  return error.status === 404 || /DOES_NOT_EXIST|NOT_FOUND/.test(error.errorCode ?? '') || (error.status === 400 && /Could not find principal with name/i.test(error.message));
}
