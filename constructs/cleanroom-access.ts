import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { EVENTS_FOLDER, RUNTIME_READ_FOLDERS, RUNTIME_WRITE_FOLDERS } from 'cleanroom-runtime/src/control/bucket-layout';
import { prefixCondition } from './storage-conditions';
import { Problems, SERVICE_ACCOUNT_EMAIL, checkBucketName, checkPattern } from './validation';

export interface CleanroomAccessProps {
  /** The participant bucket the clean room may read and write. */
  readonly bucketName: string;
  /** The clean room's service account (from the clean room config), which the runtime runs as. */
  readonly cleanroomServiceAccountEmail: string;
  /** Resources the grant must wait for (the bucket, when it is declared in the same stack). */
  readonly dependsOn?: ITerraformDependable[];
}

/** Reads (and lists) the folders the runtime reads. */
export const CLEANROOM_READ_ROLE = 'roles/storage.objectViewer';
/** Creates, overwrites and deletes objects in the folders the runtime writes. */
export const CLEANROOM_WRITE_ROLE = 'roles/storage.objectAdmin';

/** Condition of the read grant: datasets, job outputs, control tables and code copies, listing included. */
export function runtimeReadCondition(bucketName: string): string {
  return prefixCondition(bucketName, RUNTIME_READ_FOLDERS, { list: true });
}

/** Condition of the write grant: the published control tables and code copies, never the participant's events. */
export function runtimeWriteCondition(bucketName: string): string {
  return prefixCondition(bucketName, RUNTIME_WRITE_FOLDERS, { except: [EVENTS_FOLDER] });
}

/**
 * The clean room's grants on one participant bucket, both limited by IAM conditions on object names
 * (https://cloud.google.com/storage/docs/access-control/iam#conditions): read `input/` (datasets' logs and footers),
 * `output/` (job results it checks), `control/` and `code/`; write `control/` (except the participant's own
 * `control/events/`) and `code/`. Nothing on the project, no bucket settings or IAM.
 */
export class CleanroomAccess extends Construct {
  readonly readGrant: StorageBucketIamMember;
  readonly writeGrant: StorageBucketIamMember;

  constructor(scope: Construct, id: string, props: CleanroomAccessProps) {
    super(scope, id);
    const problems = new Problems();
    checkBucketName(problems, 'bucketName', props.bucketName);
    checkPattern(problems, 'cleanroomServiceAccountEmail', props.cleanroomServiceAccountEmail, SERVICE_ACCOUNT_EMAIL, 'a user-managed service account email');
    problems.throwIfAny(`CleanroomAccess "${id}"`);

    const member = `serviceAccount:${props.cleanroomServiceAccountEmail}`;
    this.readGrant = new StorageBucketIamMember(this, 'read', {
      bucket: props.bucketName,
      role: CLEANROOM_READ_ROLE,
      member,
      condition: {
        title: 'cleanroom-runtime-read',
        description: `Clean room runtime: reads ${RUNTIME_READ_FOLDERS.join(' ')} of gs://${props.bucketName}`,
        expression: runtimeReadCondition(props.bucketName),
      },
      dependsOn: props.dependsOn,
    });
    this.writeGrant = new StorageBucketIamMember(this, 'write', {
      bucket: props.bucketName,
      role: CLEANROOM_WRITE_ROLE,
      member,
      condition: {
        title: 'cleanroom-runtime-write',
        description: `Clean room runtime: writes ${RUNTIME_WRITE_FOLDERS.join(' ')} of gs://${props.bucketName}, never ${EVENTS_FOLDER}`,
        expression: runtimeWriteCondition(props.bucketName),
      },
      dependsOn: props.dependsOn,
    });
  }
}
