import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { Problems, SERVICE_ACCOUNT_EMAIL, checkBucketName, checkPattern } from './validation';

export interface CleanroomAccessProps {
  /** The participant bucket the clean room may read and write. */
  readonly bucketName: string;
  /** The clean room's service account (from the clean room config), which the runtime runs as. */
  readonly cleanroomServiceAccountEmail: string;
  /** Resources the grant must wait for (the bucket, when it is declared in the same stack). */
  readonly dependsOn?: ITerraformDependable[];
}

/** The only role the clean room gets on a participant bucket. */
export const CLEANROOM_BUCKET_ROLE = 'roles/storage.objectAdmin';

/**
 * The clean room's grant on one participant bucket: object admin on that bucket only (read events, publish the
 * participant's control tables, store approved code), nothing on the project and no bucket-admin rights.
 */
export class CleanroomAccess extends Construct {
  readonly grant: StorageBucketIamMember;

  constructor(scope: Construct, id: string, props: CleanroomAccessProps) {
    super(scope, id);
    const problems = new Problems();
    checkBucketName(problems, 'bucketName', props.bucketName);
    checkPattern(problems, 'cleanroomServiceAccountEmail', props.cleanroomServiceAccountEmail, SERVICE_ACCOUNT_EMAIL, 'a user-managed service account email');
    problems.throwIfAny(`CleanroomAccess "${id}"`);

    this.grant = new StorageBucketIamMember(this, 'object-admin', {
      bucket: props.bucketName,
      role: CLEANROOM_BUCKET_ROLE,
      member: `serviceAccount:${props.cleanroomServiceAccountEmail}`,
      dependsOn: props.dependsOn,
    });
  }
}
