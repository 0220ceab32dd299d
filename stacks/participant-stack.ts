import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DatabricksProvider } from '@cdktf/provider-databricks/lib/provider';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { CleanroomAccess } from '../constructs/cleanroom-access';
import { CleanroomComputeAccess } from '../constructs/cleanroom-compute-access';
import { ControlCatalog, type MetastoreOptions } from '../constructs/control-catalog';
import { EventsNotification } from '../constructs/events-notification';
import { ParticipantBucket } from '../constructs/participant-bucket';
import { DATABRICKS_HOST, GCP_PROJECT_ID, PARTICIPANT_NAME, Problems, checkPattern } from '../constructs/validation';

export type ParticipantRole = 'keeper' | 'collaborator';

/** A participant as the stacks need it (mapped from `participants/<name>.yaml`). */
export interface ParticipantDefinition {
  readonly name: string;
  readonly role: ParticipantRole;
  readonly bucket: string;
  readonly gcpProject: string;
  readonly databricksHost: string;
}

export interface ParticipantStackProps {
  readonly cleanroomName: string;
  readonly participant: ParticipantDefinition;
  /** GCS location of the participant bucket (the clean room's region unless told otherwise). */
  readonly location: string;
  /** The clean room's service account: granted object admin on the bucket. From config, not a stack reference. */
  readonly cleanroomServiceAccountEmail: string;
  /**
   * The Google service account of the clean room's Unity Catalog storage credential (`databricks.storage_service_account`
   * of cleanroom.yaml, known after the first deploy of the clean room stack). Absent: no grant yet, and the stack's
   * `cleanroom_compute_access` output says what is pending.
   */
  readonly cleanroomStorageServiceAccountEmail?: string;
  /** The clean room's events topic id (see `eventsTopicId`). */
  readonly eventsTopicId: string;
  readonly metastore?: MetastoreOptions;
  readonly warehouseId?: string;
  readonly noncurrentVersionRetentionDays?: number;
}

/** Output saying whether the clean room's Databricks compute may reach the bucket yet. */
export const COMPUTE_ACCESS_OUTPUT = 'cleanroom_compute_access';

export function participantStackId(name: string): string {
  return `participant-${name}`;
}

/**
 * Everything one participant deploys with its own credentials (`cdktf deploy participant-<name>`): its bucket and
 * folder layout, the clean room's grants on it (the runtime's service account; the clean room's Databricks storage
 * credential, once known), the events notification, and the control catalog in its workspace.
 * It references nothing in other stacks, so participants deploy independently of each other and of the clean room.
 */
export class ParticipantStack extends TerraformStack {
  readonly bucket: ParticipantBucket;
  readonly access: CleanroomAccess;
  /** Absent until `cleanroomStorageServiceAccountEmail` is known. */
  readonly computeAccess?: CleanroomComputeAccess;
  readonly notification: EventsNotification;
  readonly catalog: ControlCatalog;

  constructor(scope: Construct, props: ParticipantStackProps) {
    super(scope, participantStackId(props.participant.name));
    const { participant } = props;
    const problems = new Problems();
    checkPattern(problems, 'participant.name', participant.name, PARTICIPANT_NAME, 'a participant name');
    problems.check(participant.role === 'keeper' || participant.role === 'collaborator', 'participant.role', '"keeper" or "collaborator"', participant.role);
    checkPattern(problems, 'participant.gcpProject', participant.gcpProject, GCP_PROJECT_ID, 'a GCP project id');
    checkPattern(problems, 'participant.databricksHost', participant.databricksHost, DATABRICKS_HOST, 'an https:// workspace URL');
    problems.throwIfAny(`ParticipantStack "${participant.name}"`);

    new GoogleProvider(this, 'google', { project: participant.gcpProject, region: props.location });
    new DatabricksProvider(this, 'databricks', { host: participant.databricksHost });

    this.bucket = new ParticipantBucket(this, 'bucket', {
      bucketName: participant.bucket,
      location: props.location,
      project: participant.gcpProject,
      noncurrentVersionRetentionDays: props.noncurrentVersionRetentionDays,
      labels: { cleanroom: props.cleanroomName, 'cleanroom-participant': participant.name, 'cleanroom-role': participant.role },
    });
    const bucketResource = this.bucket.secureBucket.bucket;
    this.access = new CleanroomAccess(this, 'cleanroom-access', {
      bucketName: participant.bucket,
      cleanroomServiceAccountEmail: props.cleanroomServiceAccountEmail,
      dependsOn: [bucketResource],
    });
    const storageAccount = props.cleanroomStorageServiceAccountEmail;
    if (storageAccount !== undefined) {
      this.computeAccess = new CleanroomComputeAccess(this, 'cleanroom-compute-access', {
        bucketName: participant.bucket,
        storageServiceAccountEmail: storageAccount,
        dependsOn: [bucketResource],
      });
    }
    new TerraformOutput(this, COMPUTE_ACCESS_OUTPUT, {
      value:
        storageAccount === undefined
          ? `pending: databricks.storage_service_account is not set in cleanroom.yaml, so the clean room's Databricks compute cannot read gs://${participant.bucket} yet. Once the operator sets it from the storage_service_account output of the cleanroom stack, run cdktf deploy ${participantStackId(participant.name)} again.`
          : `granted: ${storageAccount} reads gs://${participant.bucket} and writes below gs://${participant.bucket}/output/ only`,
      description: "Whether the clean room's Databricks compute (SQL warehouse, job clusters) can reach this participant's bucket",
    });
    this.notification = new EventsNotification(this, 'events-notification', {
      bucketName: participant.bucket,
      topicId: props.eventsTopicId,
      dependsOn: [bucketResource],
    });
    this.catalog = new ControlCatalog(this, 'control-catalog', {
      participantName: participant.name,
      bucketName: participant.bucket,
      metastore: props.metastore,
      warehouseId: props.warehouseId,
      dependsOn: [bucketResource],
    });
  }
}
