import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Catalog } from '@cdktf/provider-databricks/lib/catalog';
import { ExternalLocation } from '@cdktf/provider-databricks/lib/external-location';
import { Grants } from '@cdktf/provider-databricks/lib/grants';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { CATALOG_NAME_PATTERN } from 'cleanroom-runtime/src/config';
import { JOB_PRINCIPAL_CATALOG_PRIVILEGES } from 'cleanroom-runtime/src/engines/databricks/run-access-names';
import { checkPrincipals, deployerUserName } from './databricks-principal';
import { prefixCondition } from './storage-conditions';
import { CLEANROOM_NAME, Problems, checkBucketName, checkPattern } from './validation';

export interface CleanroomCatalogProps {
  readonly cleanroomName: string;
  /** The catalog's name (`databricks.catalog`, default `cleanroom_<name>`). */
  readonly catalogName: string;
  /** The clean room's state bucket: the catalog's managed storage lives below {@link CATALOG_STORAGE_FOLDER}. */
  readonly stateBucketName: string;
  /** The storage credential (ParticipantDataLocations') whose Google service account reaches that folder. */
  readonly credentialName: string;
  readonly credentialServiceAccountEmail: string;
  /** Default: the deployer. */
  readonly runtimePrincipal?: string;
  /** Default: the deployer. */
  readonly owner?: string;
  /**
   * The job principals participant code runs as (CleanroomJobPrincipals; Terraform references accepted): each may enter
   * the catalog (JOB_PRINCIPAL_CATALOG_PRIVILEGES), nothing more; the runtime grants a run's principal SELECT on the
   * tables that run reads, for the run only.
   */
  readonly jobPrincipals?: readonly string[];
  readonly dependsOn?: ITerraformDependable[];
}

/** Folder of the state bucket holding the catalog's managed storage (nothing else of the state lives there). */
export const CATALOG_STORAGE_FOLDER = 'catalog/';
/** What the runtime does in its catalog: create one schema per participant and the datasets' external tables there. */
export const CATALOG_PRIVILEGES = ['USE_CATALOG', 'CREATE_SCHEMA'] as const;

export function catalogStorageLocationName(cleanroomName: string): string {
  return `${cleanroomName}-catalog`;
}

/**
 * The clean room's own Unity Catalog catalog, where the runtime registers datasets as `<catalog>.<participant>.<table>`
 * (in the SQL warehouse's default catalog they could land in `hive_metastore`, bypassing the external locations).
 *
 * It has its own storage root, `gs://<state bucket>/catalog/`: metastores of workspaces enabled for Unity Catalog
 * automatically have no metastore-level storage, and creating a catalog without one then fails; a catalog's managed
 * location must lie in an external location (https://docs.databricks.com/gcp/en/connect/unity-catalog/cloud-storage/managed-storage),
 * declared here over that folder with the clean room's credential, whose Google service account gets the bucket
 * reader role Databricks documents and object admin below `catalog/` only. The catalog is isolated to the clean room
 * workspace; the runtime principal may use it and create schemas, each job principal may only enter it.
 */
export class CleanroomCatalog extends Construct {
  readonly catalog: Catalog;
  readonly storageLocation: ExternalLocation;
  readonly storageRoot: string;

  constructor(scope: Construct, id: string, props: CleanroomCatalogProps) {
    super(scope, id);
    validateProps(props, `CleanroomCatalog "${id}"`);
    const owner = props.owner ?? deployerUserName(this);
    const runtimePrincipal = props.runtimePrincipal ?? deployerUserName(this);
    this.storageRoot = `gs://${props.stateBucketName}/${CATALOG_STORAGE_FOLDER}`;

    const member = `serviceAccount:${props.credentialServiceAccountEmail}`;
    const bucketReader = new StorageBucketIamMember(this, 'storage-bucket-reader', {
      bucket: props.stateBucketName,
      role: 'roles/storage.legacyBucketReader',
      member,
      dependsOn: props.dependsOn,
    });
    const objectAdmin = new StorageBucketIamMember(this, 'storage-object-admin', {
      bucket: props.stateBucketName,
      role: 'roles/storage.objectAdmin',
      member,
      condition: {
        title: 'cleanroom-catalog-storage-only',
        description: `Managed storage of catalog ${props.catalogName}: objects below ${this.storageRoot} only`,
        expression: prefixCondition(props.stateBucketName, [CATALOG_STORAGE_FOLDER]),
      },
      dependsOn: props.dependsOn,
    });
    this.storageLocation = new ExternalLocation(this, 'storage-location', {
      name: catalogStorageLocationName(props.cleanroomName),
      url: this.storageRoot,
      credentialName: props.credentialName,
      comment: `Clean room ${props.cleanroomName}: managed storage of catalog ${props.catalogName}`,
      isolationMode: 'ISOLATION_MODE_ISOLATED',
      owner,
      // The grants above are created in the same apply and IAM changes take time to propagate
      // (https://cloud.google.com/iam/docs/access-change-propagation); `cleanroom doctor` checks access afterwards.
      skipValidation: true,
      dependsOn: [bucketReader, objectAdmin],
    });
    this.catalog = new Catalog(this, 'catalog', {
      name: props.catalogName,
      comment: `Clean room ${props.cleanroomName}: participants' datasets as <participant>.<table>`,
      storageRoot: this.storageRoot,
      isolationMode: 'ISOLATED',
      owner,
      dependsOn: [this.storageLocation],
    });
    // Authoritative: only the runtime principal and the job principals, besides the owner. Privileges granted on the
    // catalog are inherited by every schema and table in it, so a job principal gets nothing more here.
    new Grants(this, 'grants', {
      catalog: this.catalog.name,
      grant: [
        { principal: runtimePrincipal, privileges: [...CATALOG_PRIVILEGES] },
        ...(props.jobPrincipals ?? []).map((principal) => ({ principal, privileges: [...JOB_PRINCIPAL_CATALOG_PRIVILEGES] })),
      ],
    });
  }
}

function validateProps(props: CleanroomCatalogProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  checkPattern(problems, 'catalogName', props.catalogName, CATALOG_NAME_PATTERN, 'a Unity Catalog catalog name');
  checkBucketName(problems, 'stateBucketName', props.stateBucketName);
  checkPrincipals(problems, props);
  problems.throwIfAny(construct);
}
