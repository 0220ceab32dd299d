import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DatabricksProvider } from '@cdktf/provider-databricks/lib/provider';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { STORAGE_SERVICE_AGENT_PATTERN } from 'cleanroom-runtime/src/config';
import { participantStackId } from 'cleanroom-runtime/src/deployment/resource-names';
import { CleanroomAccess } from '../constructs/cleanroom-access';
import { CleanroomComputeAccess } from '../constructs/cleanroom-compute-access';
import { ControlCatalog, type MetastoreOptions } from '../constructs/control-catalog';
import { EventsNotification } from '../constructs/events-notification';
import { ParticipantBucket } from '../constructs/participant-bucket';
import { ProjectServices } from '../constructs/project-services';
import { declareStateBackend, type StateBackendOptions } from '../constructs/state-backend';
import { DATABRICKS_HOST, GCP_PROJECT_ID, PARTICIPANT_NAME, Problems, checkPattern } from '../constructs/validation';

export type ParticipantRole = 'keeper' | 'collaborator';

/** A participant as the stacks need it (mapped from `participants/<name>.yaml`). */
export interface ParticipantDefinition {
  readonly name: string;
  readonly role: ParticipantRole;
  readonly bucket: string;
  readonly gcpProject: string;
  readonly databricksHost: string;
  /**
   * The project's Cloud Storage service agent as the participant published it (`gcp.storage_service_agent`): the
   * clean room lets it publish the bucket's events notifications. Absent, no notification is declared yet.
   */
  readonly storageServiceAgent?: string;
  /** Owner of the Unity Catalog objects of the participant's stack (`databricks.owner`; default the deployer). */
  readonly databricksOwner?: string;
  /** The participant's own Terraform state bucket (`terraform_state`; default a local state file). */
  readonly terraformState?: StateBackendOptions;
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
/** Output holding the project's Cloud Storage service agent, for `gcp.storage_service_agent` of the participant's file. */
export const STORAGE_SERVICE_AGENT_OUTPUT = 'storage_service_agent';
/** Output saying whether the bucket announces new events to the clean room yet. */
export const EVENTS_NOTIFICATION_OUTPUT = 'events_notification';

export { participantStackId };

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
  /** Absent until the participant's storage service agent is in its config (the clean room grants it publish first). */
  readonly notification?: EventsNotification;
  readonly catalog: ControlCatalog;
  readonly apis: ProjectServices;

  constructor(scope: Construct, props: ParticipantStackProps) {
    super(scope, participantStackId(props.participant.name));
    const { participant } = props;
    const problems = new Problems();
    checkPattern(problems, 'participant.name', participant.name, PARTICIPANT_NAME, 'a participant name');
    problems.check(participant.role === 'keeper' || participant.role === 'collaborator', 'participant.role', '"keeper" or "collaborator"', participant.role);
    checkPattern(problems, 'participant.gcpProject', participant.gcpProject, GCP_PROJECT_ID, 'a GCP project id');
    checkPattern(problems, 'participant.databricksHost', participant.databricksHost, DATABRICKS_HOST, 'an https:// workspace URL');
    if (participant.storageServiceAgent !== undefined) {
      checkPattern(problems, 'participant.storageServiceAgent', participant.storageServiceAgent, STORAGE_SERVICE_AGENT_PATTERN, "the project's Cloud Storage service agent");
    }
    problems.throwIfAny(`ParticipantStack "${participant.name}"`);

    const stackId = participantStackId(participant.name);
    declareStateBackend(this, stackId, props.cleanroomName, participant.terraformState);
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
          ? `pending: databricks.storage_service_account is not set in cleanroom.yaml, so the clean room's Databricks compute cannot read gs://${participant.bucket} yet. Once the operator sets it from the storage_service_account output of the cleanroom stack, run cdktf deploy ${stackId} again.`
          : `granted: ${storageAccount} reads below gs://${participant.bucket}/input/ and writes below gs://${participant.bucket}/output/ only`,
      description: "Whether the clean room's Databricks compute (SQL warehouse, job clusters) can reach this participant's bucket",
    });
    // The participant's own project only: its Cloud Storage service agent, to publish in its config file.
    const agent = new DataGoogleStorageProjectServiceAccount(this, 'storage-service-agent', { project: participant.gcpProject });
    new TerraformOutput(this, STORAGE_SERVICE_AGENT_OUTPUT, {
      value: agent.emailAddress,
      description: `This project's Cloud Storage service agent: set it as gcp.storage_service_agent in participants/${participant.name}.yaml so the clean room lets it publish the bucket's events notifications`,
    });
    if (participant.storageServiceAgent !== undefined) {
      // The agent may publish only once the clean room stack granted it, and creating a notification checks that
      // (https://cloud.google.com/storage/docs/reporting-changes): the operator deploys the reviewed config first.
      this.notification = new EventsNotification(this, 'events-notification', {
        bucketName: participant.bucket,
        topicId: props.eventsTopicId,
        dependsOn: [bucketResource],
      });
    }
    new TerraformOutput(this, EVENTS_NOTIFICATION_OUTPUT, {
      value:
        participant.storageServiceAgent === undefined
          ? `pending: gcp.storage_service_agent is not set in participants/${participant.name}.yaml, so new events reach the clean room only at its scheduled pass. Add the output storage_service_agent to the file in a reviewed pull request; once the operator has deployed it, run cdktf deploy ${stackId} again.`
          : `notifying: new commits of gs://${participant.bucket}/control/events/ are announced on ${props.eventsTopicId}`,
      description: 'Whether new events are announced to the clean room as they are written',
    });
    this.catalog = new ControlCatalog(this, 'control-catalog', {
      participantName: participant.name,
      bucketName: participant.bucket,
      metastore: withOwner(props.metastore, participant.databricksOwner),
      warehouseId: props.warehouseId,
      dependsOn: [bucketResource],
    });
    // Last, so it sees every Google resource declared above.
    this.apis = new ProjectServices(this, 'apis', { project: participant.gcpProject });
  }
}

/** The metastore options with the participant's configured owner (Unity Catalog only). */
function withOwner(metastore: MetastoreOptions | undefined, owner: string | undefined): MetastoreOptions | undefined {
  if (owner === undefined) return metastore;
  const options = metastore ?? { kind: 'unity' as const };
  return options.kind === 'unity' ? { ...options, owner: options.owner ?? owner } : options;
}
