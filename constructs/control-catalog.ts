import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Catalog } from '@cdktf/provider-databricks/lib/catalog';
import { ExternalLocation } from '@cdktf/provider-databricks/lib/external-location';
import { Schema } from '@cdktf/provider-databricks/lib/schema';
import { SqlTable } from '@cdktf/provider-databricks/lib/sql-table';
import { StorageCredential } from '@cdktf/provider-databricks/lib/storage-credential';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { CONTROL_TABLES, controlTableKey, type ControlTableName } from 'cleanroom-runtime/src/control/tables';
import { sqlColumns } from './delta-sql-types';
import { ANY_SERVICE_ACCOUNT_EMAIL, PARTICIPANT_NAME, Problems, checkBucketName, checkPattern } from './validation';

/** Unity Catalog (default): a storage credential + external location over the bucket, schemas in a catalog. */
export interface UnityCatalogOptions {
  readonly kind: 'unity';
  /** Catalog holding the participant's schemas; default `cleanroom_<participant>` (catalog names are metastore-wide). */
  readonly catalog?: string;
  /** Create the catalog (default true); false to use an existing one, e.g. the workspace's default catalog. */
  readonly createCatalog?: boolean;
  /** Managed storage root for a created catalog, needed when the metastore has none. Must not overlap `control/`. */
  readonly catalogStorageRoot?: string;
}

/**
 * Legacy Hive metastore. The tables are declared in `hive_metastore`; the `control` and participant databases must
 * already exist (the provider cannot create Hive databases: terraform-provider-databricks#4287), as the seed's
 * onboarding notebook creates them. Clusters reach the bucket as their Google service account.
 */
export interface HiveMetastoreOptions {
  readonly kind: 'hive';
  /** The workspace clusters' Google service account; granted object admin on the bucket when given. */
  readonly clusterServiceAccountEmail?: string;
}

export type MetastoreOptions = UnityCatalogOptions | HiveMetastoreOptions;

export interface ControlCatalogProps {
  /** Participant name; also the name of its database (SPEC §3). */
  readonly participantName: string;
  /** The participant's bucket, holding `control/<table>`. */
  readonly bucketName: string;
  /** Default `{ kind: 'unity' }`. */
  readonly metastore?: MetastoreOptions;
  /** SQL warehouse that runs the table DDL; without it the provider starts a small auto-terminating cluster. */
  readonly warehouseId?: string;
  /** Resources that must exist first (the bucket, when declared in the same stack). */
  readonly dependsOn?: ITerraformDependable[];
}

/** The database that holds the control tables in every participant workspace (`control.runs`, …). */
export const CONTROL_DATABASE = 'control';
export const HIVE_METASTORE_CATALOG = 'hive_metastore';

/**
 * Table properties pinning the protocol the runtime reads and writes (reader v1 / writer v2), so that Databricks,
 * when it creates a table before the runtime's first publish, does not enable table features the runtime cannot read.
 */
export const CONTROL_TABLE_PROPERTIES: Record<string, string> = {
  'delta.minReaderVersion': '1',
  'delta.minWriterVersion': '2',
  'delta.enableDeletionVectors': 'false',
};

/**
 * In a participant's Databricks workspace: the participant's database and the `control` database with the seven
 * control tables as external Delta tables at `gs://<bucket>/control/<table>`. Columns come from the runtime's
 * CONTROL_TABLES, so the declared and the written tables cannot drift apart.
 */
export class ControlCatalog extends Construct {
  readonly catalogName: string;
  readonly tables: Record<ControlTableName, SqlTable>;
  readonly storageCredential?: StorageCredential;
  readonly externalLocation?: ExternalLocation;

  constructor(scope: Construct, id: string, props: ControlCatalogProps) {
    super(scope, id);
    validateControlCatalogProps(props, `ControlCatalog "${id}"`);
    const metastore = props.metastore ?? { kind: 'unity' };
    const bucketUrl = `gs://${props.bucketName}`;
    const dependencies: ITerraformDependable[] = [...(props.dependsOn ?? [])];

    if (metastore.kind === 'unity') {
      const baseName = `cleanroom-${props.participantName.replace(/_/g, '-')}`;
      this.storageCredential = new StorageCredential(this, 'credential', {
        name: baseName,
        comment: `Clean room participant ${props.participantName}: access to ${bucketUrl}`,
        // Databricks creates and owns the Google service account; only its email is granted below.
        databricksGcpServiceAccount: {},
      });
      const member = `serviceAccount:${this.storageCredential.databricksGcpServiceAccount.email}`;
      // Roles Databricks documents for a GCS storage credential, both scoped to this one bucket.
      const objectAdmin = new StorageBucketIamMember(this, 'credential-object-admin', {
        bucket: props.bucketName,
        role: 'roles/storage.objectAdmin',
        member,
        dependsOn: props.dependsOn,
      });
      const bucketReader = new StorageBucketIamMember(this, 'credential-bucket-reader', {
        bucket: props.bucketName,
        role: 'roles/storage.legacyBucketReader',
        member,
        dependsOn: props.dependsOn,
      });
      this.externalLocation = new ExternalLocation(this, 'location', {
        name: baseName,
        url: `${bucketUrl}/`,
        credentialName: this.storageCredential.name,
        comment: `Clean room participant ${props.participantName}`,
        dependsOn: [objectAdmin, bucketReader],
      });
      dependencies.push(this.externalLocation);

      this.catalogName = metastore.catalog ?? `cleanroom_${props.participantName}`;
      const catalog =
        (metastore.createCatalog ?? true)
          ? new Catalog(this, 'catalog', {
              name: this.catalogName,
              comment: 'Clean room: participant data and control tables',
              storageRoot: metastore.catalogStorageRoot,
            })
          : undefined;
      if (catalog !== undefined) dependencies.push(catalog);
      for (const database of [props.participantName, CONTROL_DATABASE]) {
        dependencies.push(
          new Schema(this, `schema-${database}`, {
            catalogName: this.catalogName,
            name: database,
            comment: database === CONTROL_DATABASE ? 'Clean room control tables (maintained by the clean room)' : `Datasets of ${props.participantName}`,
            dependsOn: catalog === undefined ? undefined : [catalog],
          }),
        );
      }
    } else {
      this.catalogName = HIVE_METASTORE_CATALOG;
      if (metastore.clusterServiceAccountEmail !== undefined) {
        dependencies.push(
          new StorageBucketIamMember(this, 'cluster-object-admin', {
            bucket: props.bucketName,
            role: 'roles/storage.objectAdmin',
            member: `serviceAccount:${metastore.clusterServiceAccountEmail}`,
            dependsOn: props.dependsOn,
          }),
        );
      }
    }

    const tables = {} as Record<ControlTableName, SqlTable>;
    for (const [name, schema] of Object.entries(CONTROL_TABLES) as Array<[ControlTableName, (typeof CONTROL_TABLES)[ControlTableName]]>) {
      tables[name] = new SqlTable(this, `table-${name}`, {
        catalogName: this.catalogName,
        schemaName: CONTROL_DATABASE,
        name,
        tableType: 'EXTERNAL',
        dataSourceFormat: 'DELTA',
        storageLocation: `${bucketUrl}/${controlTableKey(name)}`,
        warehouseId: props.warehouseId,
        comment: name === 'events' ? 'Requests to the clean room (append only)' : 'Published by the clean room; local edits are overwritten',
        properties: CONTROL_TABLE_PROPERTIES,
        column: sqlColumns(schema),
        dependsOn: dependencies,
      });
    }
    this.tables = tables;
  }
}

function validateControlCatalogProps(props: ControlCatalogProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'participantName', props.participantName, PARTICIPANT_NAME, 'a participant name');
  problems.check(props.participantName !== CONTROL_DATABASE, 'participantName', `a name other than "${CONTROL_DATABASE}" (reserved for the control database)`, props.participantName);
  checkBucketName(problems, 'bucketName', props.bucketName);
  const metastore = props.metastore;
  if (metastore?.kind === 'unity') {
    if (metastore.catalog !== undefined) {
      checkPattern(problems, 'metastore.catalog', metastore.catalog, /^[a-z][a-z0-9_]{0,254}$/, 'a catalog name');
      problems.check(metastore.catalog !== HIVE_METASTORE_CATALOG, 'metastore.catalog', 'a Unity Catalog catalog (use kind "hive" for hive_metastore)', metastore.catalog);
    }
    if (metastore.catalogStorageRoot !== undefined) {
      problems.check(
        /^gs:\/\/[a-z0-9][a-z0-9_.-]+[a-z0-9](\/.*)?$/.test(metastore.catalogStorageRoot) &&
          !metastore.catalogStorageRoot.replace(/\/?$/, '/').startsWith(`gs://${props.bucketName}/control/`) &&
          metastore.catalogStorageRoot.replace(/\/?$/, '/') !== `gs://${props.bucketName}/`,
        'metastore.catalogStorageRoot',
        'a gs:// URL that does not contain the control tables',
        metastore.catalogStorageRoot,
      );
    }
  } else if (metastore?.kind === 'hive') {
    if (metastore.clusterServiceAccountEmail !== undefined) {
      checkPattern(problems, 'metastore.clusterServiceAccountEmail', metastore.clusterServiceAccountEmail, ANY_SERVICE_ACCOUNT_EMAIL, 'a service account email');
    }
  } else if (metastore !== undefined) {
    problems.add('metastore.kind', '"unity" or "hive"', (metastore as { kind?: unknown }).kind);
  }
  if (props.warehouseId !== undefined) {
    checkPattern(problems, 'warehouseId', props.warehouseId, /^[a-z0-9]{8,32}$/, 'a SQL warehouse id');
  }
  problems.throwIfAny(construct);
}
