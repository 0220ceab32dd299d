import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Catalog } from '@cdktf/provider-databricks/lib/catalog';
import { ExternalLocation } from '@cdktf/provider-databricks/lib/external-location';
import { Schema } from '@cdktf/provider-databricks/lib/schema';
import { SqlTable } from '@cdktf/provider-databricks/lib/sql-table';
import { StorageCredential } from '@cdktf/provider-databricks/lib/storage-credential';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { CATALOG_FOLDER, CODE_FOLDER, CONTROL_FOLDER, DATASET_FOLDERS, OUTPUT_FOLDER } from 'cleanroom-runtime/src/control/bucket-layout';
import { CONTROL_TABLES, controlTableKey, type ControlTableName } from 'cleanroom-runtime/src/control/tables';
import { DATABRICKS_OWNER, deployerUserName } from './databricks-principal';
import { sqlColumns } from './delta-sql-types';
import { prefixCondition } from './storage-conditions';
import { ANY_SERVICE_ACCOUNT_EMAIL, PARTICIPANT_NAME, Problems, checkBucketName, checkPattern } from './validation';

/** Unity Catalog (default): a storage credential + external location over the bucket, schemas in a catalog. */
export interface UnityCatalogOptions {
  readonly kind: 'unity';
  /** Catalog holding the participant's schemas; default `cleanroom_<participant>` (catalog names are metastore-wide). */
  readonly catalog?: string;
  /** Create the catalog (default true); false to use an existing one, e.g. the workspace's default catalog. */
  readonly createCatalog?: boolean;
  /**
   * Managed storage root of a created catalog: a folder of the participant's bucket, default `catalog/`
   * (`gs://<bucket>/catalog/`). Outside the folders the clean room reaches (`control/`, `input/`, `output/`, `code/`).
   */
  readonly catalogStorageRoot?: string;
  /** Owner of the credential, external locations and catalog. Default: the deployer. */
  readonly owner?: string;
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
  /** Participant name; also the name of its database (docs/protocol.md, Control tables). */
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
  /** Over `control/`. */
  readonly externalLocation?: ExternalLocation;
  /** Over the catalog's managed storage (absent when an existing catalog is used). */
  readonly catalogStorageLocation?: ExternalLocation;

  constructor(scope: Construct, id: string, props: ControlCatalogProps) {
    super(scope, id);
    validateControlCatalogProps(props, `ControlCatalog "${id}"`);
    const metastore = props.metastore ?? { kind: 'unity' };
    const bucketUrl = `gs://${props.bucketName}`;
    const dependencies: ITerraformDependable[] = [...(props.dependsOn ?? [])];

    if (metastore.kind === 'unity') {
      const baseName = `cleanroom-${props.participantName.replace(/_/g, '-')}`;
      const owner = metastore.owner ?? deployerUserName(this);
      const createCatalog = metastore.createCatalog ?? true;
      const storageFolder = catalogStorageFolder(props.bucketName, metastore.catalogStorageRoot);
      this.storageCredential = new StorageCredential(this, 'credential', {
        name: baseName,
        comment: `Clean room participant ${props.participantName}: access to ${bucketUrl}`,
        // Databricks creates and owns the Google service account; only its email is granted below.
        databricksGcpServiceAccount: {},
        owner,
      });
      const member = `serviceAccount:${this.storageCredential.databricksGcpServiceAccount.email}`;
      // Roles Databricks documents for a GCS storage credential (bucket reader, object admin), the object admin only on
      // the folders the locations below cover.
      const folders = [CONTROL_FOLDER, ...(createCatalog ? [storageFolder] : [])];
      const objectAdmin = new StorageBucketIamMember(this, 'credential-object-admin', {
        bucket: props.bucketName,
        role: 'roles/storage.objectAdmin',
        member,
        condition: {
          title: 'cleanroom-participant-workspace',
          description: `The participant's workspace: ${folders.map((f) => `gs://${props.bucketName}/${f}`).join(' ')} only`,
          expression: prefixCondition(props.bucketName, folders),
        },
        dependsOn: props.dependsOn,
      });
      const bucketReader = new StorageBucketIamMember(this, 'credential-bucket-reader', {
        bucket: props.bucketName,
        role: 'roles/storage.legacyBucketReader',
        member,
        dependsOn: props.dependsOn,
      });
      // Over `control/` only, not the bucket root: the clean room's own locations over `input/` and `output/` must not
      // overlap it when this workspace shares the clean room's metastore (https://docs.databricks.com/gcp/en/volumes/paths).
      this.externalLocation = new ExternalLocation(this, 'location', {
        name: `${baseName}-control`,
        url: `${bucketUrl}/${CONTROL_FOLDER}`,
        credentialName: this.storageCredential.name,
        comment: `Clean room participant ${props.participantName}: control tables`,
        owner,
        dependsOn: [objectAdmin, bucketReader],
      });
      dependencies.push(this.externalLocation);

      this.catalogName = metastore.catalog ?? `cleanroom_${props.participantName}`;
      let catalog: Catalog | undefined;
      if (createCatalog) {
        // A catalog needs a storage root when the metastore has none (workspaces enabled for Unity Catalog
        // automatically), inside an external location:
        // https://docs.databricks.com/gcp/en/connect/unity-catalog/cloud-storage/managed-storage
        this.catalogStorageLocation = new ExternalLocation(this, 'catalog-storage-location', {
          name: `${baseName}-catalog`,
          url: `${bucketUrl}/${storageFolder}`,
          credentialName: this.storageCredential.name,
          comment: `Clean room participant ${props.participantName}: managed storage of catalog ${this.catalogName}`,
          owner,
          dependsOn: [objectAdmin, bucketReader],
        });
        catalog = new Catalog(this, 'catalog', {
          name: this.catalogName,
          comment: 'Clean room: participant data and control tables',
          storageRoot: `${bucketUrl}/${storageFolder}`,
          owner,
          dependsOn: [this.catalogStorageLocation],
        });
        dependencies.push(catalog);
      }
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
        catalogStorageFolderProblem(props.bucketName, metastore.catalogStorageRoot) === undefined,
        'metastore.catalogStorageRoot',
        catalogStorageFolderProblem(props.bucketName, metastore.catalogStorageRoot) ?? '',
        metastore.catalogStorageRoot,
      );
    }
    if (metastore.owner !== undefined) {
      checkPattern(problems, 'metastore.owner', metastore.owner, DATABRICKS_OWNER, 'a group name, user email or service principal application id');
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

/** Folders of the participant bucket its catalog's storage may not overlap (the clean room's and the control tables). */
const RESERVED_FOLDERS = [CONTROL_FOLDER, ...DATASET_FOLDERS, OUTPUT_FOLDER, CODE_FOLDER];

function catalogStorageFolderProblem(bucketName: string, root: string): string | undefined {
  const prefix = `gs://${bucketName}/`;
  const folder = root.endsWith('/') ? root.slice(prefix.length) : `${root.slice(prefix.length)}/`;
  const inBucket = root.startsWith(prefix) && /^([a-z0-9_-]+\/)+$/.test(folder);
  const overlaps = RESERVED_FOLDERS.some((reserved) => folder.startsWith(reserved) || reserved.startsWith(folder));
  if (inBucket && !overlaps) return undefined;
  return `a folder of gs://${bucketName}/ outside ${RESERVED_FOLDERS.join(', ')} (e.g. gs://${bucketName}/${CATALOG_FOLDER})`;
}

/** The folder (ending with `/`) of the catalog's managed storage in the participant's bucket. */
function catalogStorageFolder(bucketName: string, root: string | undefined): string {
  if (root === undefined) return CATALOG_FOLDER;
  const folder = root.slice(`gs://${bucketName}/`.length);
  return folder.endsWith('/') ? folder : `${folder}/`;
}
