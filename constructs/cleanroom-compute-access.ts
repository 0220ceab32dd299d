import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { DATASET_FOLDERS, OUTPUT_FOLDER } from 'cleanroom-runtime/src/control/bucket-layout';
import { prefixCondition } from './storage-conditions';
import { ANY_SERVICE_ACCOUNT_EMAIL, Problems, checkBucketName, checkPattern } from './validation';

export interface CleanroomComputeAccessProps {
  /** The participant's own bucket. */
  readonly bucketName: string;
  /**
   * The Google service account of the clean room's Unity Catalog storage credential (the `storage_service_account`
   * output of the clean room stack): what the clean room's SQL warehouse and job clusters reach the bucket as.
   */
  readonly storageServiceAccountEmail: string;
  /** Resources the grants must wait for (the bucket, when it is declared in the same stack). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Databricks documents `Storage Legacy Bucket Reader` on the bucket for a GCS storage credential
 * (https://docs.gcp.databricks.com/en/connect/unity-catalog/cloud-storage/storage-credentials.html): bucket metadata
 * and object listing, never an object's content.
 */
export const COMPUTE_BUCKET_ROLE = 'roles/storage.legacyBucketReader';
/** Reads datasets, conditioned on the dataset folders. */
export const COMPUTE_READ_ROLE = 'roles/storage.objectViewer';
/** Write role, conditioned on `output/` (job results; the runtime refuses any other `output`). */
export const COMPUTE_OUTPUT_ROLE = 'roles/storage.objectAdmin';
export { OUTPUT_FOLDER };

/** The IAM condition limiting a grant to the objects below `output/` of `bucketName`. */
export function outputOnlyExpression(bucketName: string): string {
  return prefixCondition(bucketName, [OUTPUT_FOLDER]);
}

/** The IAM condition limiting a grant to the objects of the dataset folders (`input/`). */
export function datasetsOnlyExpression(bucketName: string): string {
  return prefixCondition(bucketName, DATASET_FOLDERS);
}

/**
 * A participant's grants to the clean room's Databricks compute, on its own bucket only: read the datasets below
 * `input/` (the SQL warehouse registers them as external tables; job clusters read them) and create, overwrite or
 * delete objects only below `output/` (job results). `control/`, `code/` and everything else stay out of reach.
 * Nothing on the project, nothing on the bucket's IAM or settings.
 */
export class CleanroomComputeAccess extends Construct {
  readonly bucketGrant: StorageBucketIamMember;
  readonly readGrant: StorageBucketIamMember;
  readonly outputGrant: StorageBucketIamMember;

  constructor(scope: Construct, id: string, props: CleanroomComputeAccessProps) {
    super(scope, id);
    const problems = new Problems();
    checkBucketName(problems, 'bucketName', props.bucketName);
    checkPattern(problems, 'storageServiceAccountEmail', props.storageServiceAccountEmail, ANY_SERVICE_ACCOUNT_EMAIL, 'a service account email');
    problems.throwIfAny(`CleanroomComputeAccess "${id}"`);

    const member = `serviceAccount:${props.storageServiceAccountEmail}`;
    this.bucketGrant = new StorageBucketIamMember(this, 'legacyBucketReader', {
      bucket: props.bucketName,
      role: COMPUTE_BUCKET_ROLE,
      member,
      dependsOn: props.dependsOn,
    });
    this.readGrant = new StorageBucketIamMember(this, 'datasets-object-viewer', {
      bucket: props.bucketName,
      role: COMPUTE_READ_ROLE,
      member,
      condition: {
        title: 'cleanroom-datasets-only',
        description: `Clean room compute: reads objects below ${DATASET_FOLDERS.map((f) => `gs://${props.bucketName}/${f}`).join(' ')} only`,
        expression: datasetsOnlyExpression(props.bucketName),
      },
      dependsOn: props.dependsOn,
    });
    this.outputGrant = new StorageBucketIamMember(this, 'output-object-admin', {
      bucket: props.bucketName,
      role: COMPUTE_OUTPUT_ROLE,
      member,
      condition: {
        title: 'cleanroom-output-only',
        description: `Clean room job results: objects below gs://${props.bucketName}/${OUTPUT_FOLDER} only`,
        expression: outputOnlyExpression(props.bucketName),
      },
      dependsOn: props.dependsOn,
    });
  }
}
