import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
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
 * Read roles on the whole bucket: datasets may live in any folder the participant chose. `legacyBucketReader` adds
 * the bucket metadata (`storage.buckets.get`) Databricks checks for a storage credential; `objectViewer` reads objects.
 */
export const COMPUTE_READ_ROLES = ['roles/storage.legacyBucketReader', 'roles/storage.objectViewer'] as const;
/** Write role, conditioned on `output/` (listing, which IAM checks on the bucket, comes from the read roles). */
export const COMPUTE_OUTPUT_ROLE = 'roles/storage.objectAdmin';
/** Job results land below `output/` (the runtime refuses any other `output`), so writes stop there. */
export const OUTPUT_FOLDER = 'output/';

/** The IAM condition limiting a grant to the objects below `output/` of `bucketName`. */
export function outputOnlyExpression(bucketName: string): string {
  return `resource.name.startsWith("projects/_/buckets/${bucketName}/objects/${OUTPUT_FOLDER}")`;
}

/**
 * A participant's grants to the clean room's Databricks compute, on its own bucket only: read everything (the SQL
 * warehouse registers datasets as external tables; job clusters read them) and create, overwrite or delete objects
 * only below `output/` (job results). Nothing on the project, nothing on the bucket's IAM or settings.
 */
export class CleanroomComputeAccess extends Construct {
  readonly readGrants: StorageBucketIamMember[];
  readonly outputGrant: StorageBucketIamMember;

  constructor(scope: Construct, id: string, props: CleanroomComputeAccessProps) {
    super(scope, id);
    const problems = new Problems();
    checkBucketName(problems, 'bucketName', props.bucketName);
    checkPattern(problems, 'storageServiceAccountEmail', props.storageServiceAccountEmail, ANY_SERVICE_ACCOUNT_EMAIL, 'a service account email');
    problems.throwIfAny(`CleanroomComputeAccess "${id}"`);

    const member = `serviceAccount:${props.storageServiceAccountEmail}`;
    this.readGrants = COMPUTE_READ_ROLES.map(
      (role) =>
        new StorageBucketIamMember(this, role.replace('roles/storage.', ''), {
          bucket: props.bucketName,
          role,
          member,
          dependsOn: props.dependsOn,
        }),
    );
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
