import { Construct } from 'constructs';
import { DataDatabricksCurrentUser } from '@cdktf/provider-databricks/lib/data-databricks-current-user';
import { ExternalLocation } from '@cdktf/provider-databricks/lib/external-location';
import { Grants } from '@cdktf/provider-databricks/lib/grants';
import { StorageCredential } from '@cdktf/provider-databricks/lib/storage-credential';
import { CLEANROOM_NAME, PARTICIPANT_NAME, Problems, checkBucketName, checkPattern } from './validation';

/** A participant bucket the clean room's Databricks compute reads datasets from and writes `output/` to. */
export interface ParticipantDataBucket {
  readonly participant: string;
  readonly bucket: string;
}

export interface ParticipantDataLocationsProps {
  readonly cleanroomName: string;
  /** One external location each; sorted by participant so the plan does not depend on config order. */
  readonly buckets: readonly ParticipantDataBucket[];
  /**
   * The Databricks principal whose token the runtime uses (service principal application id or user email).
   * Default: the identity that deploys the stack (`databricks_current_user`).
   */
  readonly runtimePrincipal?: string;
}

/**
 * What the runtime's principal may do on a participant's external location: register datasets as external tables
 * (`CREATE TABLE … LOCATION`, run by the SQL warehouse) and let job clusters read them and write results. Writes are
 * further confined to `output/` by the participant's own IAM grant to the credential (CleanroomComputeAccess).
 */
export const PARTICIPANT_LOCATION_PRIVILEGES = ['CREATE_EXTERNAL_TABLE', 'READ_FILES', 'WRITE_FILES'] as const;

/** Unity Catalog names of what this construct declares (the runtime's Databricks engine needs none of them). */
export function participantDataCredentialName(cleanroomName: string): string {
  return `${cleanroomName}-participant-data`;
}

export function participantDataLocationName(cleanroomName: string, participant: string): string {
  return `${cleanroomName}-${participant}`;
}

/**
 * In the clean room workspace's Unity Catalog metastore: one storage credential backed by a Databricks-managed Google
 * service account, and one external location over `gs://<bucket>/` per participant, usable only by the runtime's
 * principal. The credential's account has no access anywhere until each participant's stack grants it access to that
 * participant's bucket (read; write below `output/`), so its email is a stack output the operator copies into
 * `databricks.storage_service_account` of cleanroom.yaml.
 *
 * Both are isolated to the clean room workspace, in case the metastore is shared with other workspaces.
 */
export class ParticipantDataLocations extends Construct {
  readonly credential: StorageCredential;
  /** By participant name. */
  readonly locations: ReadonlyMap<string, ExternalLocation>;
  /** The credential's Google service account (known once the credential exists). */
  readonly serviceAccountEmail: string;
  /** The principal granted on every location (a literal, or a Terraform reference to the deploying identity). */
  readonly runtimePrincipal: string;

  constructor(scope: Construct, id: string, props: ParticipantDataLocationsProps) {
    super(scope, id);
    validateProps(props, `ParticipantDataLocations "${id}"`);

    this.credential = new StorageCredential(this, 'credential', {
      name: participantDataCredentialName(props.cleanroomName),
      comment: `Clean room ${props.cleanroomName}: participants' buckets (each participant grants access to its own)`,
      // Databricks creates the Google service account and keeps its key; only the email leaves Databricks.
      databricksGcpServiceAccount: {},
      isolationMode: 'ISOLATION_MODE_ISOLATED',
    });
    this.serviceAccountEmail = this.credential.databricksGcpServiceAccount.email;
    this.runtimePrincipal = props.runtimePrincipal ?? new DataDatabricksCurrentUser(this, 'deployer').userName;

    const locations = new Map<string, ExternalLocation>();
    for (const { participant, bucket } of [...props.buckets].sort((a, b) => a.participant.localeCompare(b.participant))) {
      const location = new ExternalLocation(this, `location-${participant}`, {
        name: participantDataLocationName(props.cleanroomName, participant),
        url: `gs://${bucket}/`,
        credentialName: this.credential.name,
        comment: `Clean room ${props.cleanroomName}: data of participant ${participant} (writable below output/ only)`,
        isolationMode: 'ISOLATION_MODE_ISOLATED',
        // Validation writes a test file at the bucket root, which the credential may never do (writes are confined to
        // output/), and the participant's grant usually comes after this stack is deployed.
        skipValidation: true,
      });
      // Authoritative on purpose: nobody else gets privileges on a participant's data.
      new Grants(this, `grants-${participant}`, {
        externalLocation: location.id,
        grant: [{ principal: this.runtimePrincipal, privileges: [...PARTICIPANT_LOCATION_PRIVILEGES] }],
      });
      locations.set(participant, location);
    }
    this.locations = locations;
  }
}

/** A Databricks service principal's application id, or a user's email. */
const DATABRICKS_PRINCIPAL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/;

function validateProps(props: ParticipantDataLocationsProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  const participants = new Set<string>();
  const buckets = new Set<string>();
  (props.buckets ?? []).forEach((entry, i) => {
    checkPattern(problems, `buckets[${i}].participant`, entry.participant, PARTICIPANT_NAME, 'a participant name');
    checkBucketName(problems, `buckets[${i}].bucket`, entry.bucket);
    problems.check(!participants.has(entry.participant), `buckets[${i}].participant`, 'a participant listed once', entry.participant);
    problems.check(!buckets.has(entry.bucket), `buckets[${i}].bucket`, 'a bucket no other participant uses', entry.bucket);
    participants.add(entry.participant);
    buckets.add(entry.bucket);
  });
  if (props.runtimePrincipal !== undefined) {
    checkPattern(problems, 'runtimePrincipal', props.runtimePrincipal, DATABRICKS_PRINCIPAL, 'a service principal application id or a user email');
  }
  problems.throwIfAny(construct);
}
