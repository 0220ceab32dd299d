import { Construct } from 'constructs';
import { ExternalLocation } from '@cdktf/provider-databricks/lib/external-location';
import { Grants } from '@cdktf/provider-databricks/lib/grants';
import { StorageCredential } from '@cdktf/provider-databricks/lib/storage-credential';
import { DATASET_FOLDERS, OUTPUT_FOLDER } from 'cleanroom-runtime/src/control/bucket-layout';
import { DATABRICKS_OWNER, DATABRICKS_PRINCIPAL, deployerUserName } from './databricks-principal';
import { CLEANROOM_NAME, PARTICIPANT_NAME, Problems, checkBucketName, checkPattern } from './validation';

/** A participant bucket the clean room's Databricks compute reads datasets from and writes `output/` to. */
export interface ParticipantDataBucket {
  readonly participant: string;
  readonly bucket: string;
}

export interface ParticipantDataLocationsProps {
  readonly cleanroomName: string;
  /** Two external locations each; sorted by participant so the plan does not depend on config order. */
  readonly buckets: readonly ParticipantDataBucket[];
  /**
   * The Databricks principal whose token the runtime uses (service principal application id or user email).
   * Default: the identity that deploys the stack (`databricks_current_user`).
   */
  readonly runtimePrincipal?: string;
  /** Owner of the credential and the locations (a group, user or service principal). Default: the deployer. */
  readonly owner?: string;
}

/**
 * What the runtime's principal may do on a participant's dataset folder: register datasets as external tables
 * (`CREATE TABLE … LOCATION`, run by the SQL warehouse) and read them from job clusters; never write.
 */
export const DATASET_LOCATION_PRIVILEGES = ['CREATE_EXTERNAL_TABLE', 'READ_FILES'] as const;
/** On the `output/` folder: the runtime's release notebook writes released results there (and reads them back). */
export const OUTPUT_LOCATION_PRIVILEGES = ['READ_FILES', 'WRITE_FILES'] as const;

/** Unity Catalog names of what this construct declares (the runtime's Databricks engine needs none of them). */
export function participantDataCredentialName(cleanroomName: string): string {
  return `${cleanroomName}-participant-data`;
}

/** `<clean room>-<participant>-<folder>`, e.g. `retail-media-advertiser-input`. */
export function participantDataLocationName(cleanroomName: string, participant: string, folder: string): string {
  return `${cleanroomName}-${participant}-${folder.replace(/\/$/, '')}`;
}

/**
 * In the clean room workspace's Unity Catalog metastore: one storage credential backed by a Databricks-managed Google
 * service account, and per participant one external location over each dataset folder (`gs://<bucket>/input/`) and
 * one over `gs://<bucket>/output/`, usable only by the runtime's principal. Covering only these folders keeps them
 * from overlapping the participant's own external locations (`control/`, its catalog's storage) when its workspace
 * shares the metastore: Unity Catalog refuses overlapping external locations
 * (https://docs.databricks.com/gcp/en/volumes/paths). The credential's account has no access anywhere until each
 * participant's stack grants it access to those folders, so its email is a stack output the operator copies into
 * `databricks.storage_service_account` of cleanroom.yaml.
 *
 * All are isolated to the clean room workspace, in case the metastore is shared with other workspaces, and owned by a
 * deliberate owner (never the runtime principal, which could otherwise grant itself more).
 */
export class ParticipantDataLocations extends Construct {
  readonly credential: StorageCredential;
  /** By participant name, then folder (`input/`, `output/`). */
  readonly locations: ReadonlyMap<string, ReadonlyMap<string, ExternalLocation>>;
  /** The credential's Google service account (known once the credential exists). */
  readonly serviceAccountEmail: string;
  /** The principal granted on every location (a literal, or a Terraform reference to the deploying identity). */
  readonly runtimePrincipal: string;
  readonly owner: string;

  constructor(scope: Construct, id: string, props: ParticipantDataLocationsProps) {
    super(scope, id);
    validateProps(props, `ParticipantDataLocations "${id}"`);
    this.runtimePrincipal = props.runtimePrincipal ?? deployerUserName(this);
    this.owner = props.owner ?? deployerUserName(this);

    this.credential = new StorageCredential(this, 'credential', {
      name: participantDataCredentialName(props.cleanroomName),
      comment: `Clean room ${props.cleanroomName}: participants' buckets (each participant grants access to its own)`,
      // Databricks creates the Google service account and keeps its key; only the email leaves Databricks.
      databricksGcpServiceAccount: {},
      isolationMode: 'ISOLATION_MODE_ISOLATED',
      owner: this.owner,
    });
    this.serviceAccountEmail = this.credential.databricksGcpServiceAccount.email;

    const folders: ReadonlyArray<readonly [string, readonly string[], string]> = [
      ...DATASET_FOLDERS.map((folder) => [folder, DATASET_LOCATION_PRIVILEGES, 'datasets, read only'] as const),
      [OUTPUT_FOLDER, OUTPUT_LOCATION_PRIVILEGES, 'job results'] as const,
    ];
    const locations = new Map<string, Map<string, ExternalLocation>>();
    for (const { participant, bucket } of [...props.buckets].sort((a, b) => a.participant.localeCompare(b.participant))) {
      const byFolder = new Map<string, ExternalLocation>();
      for (const [folder, privileges, what] of folders) {
        const key = `${participant}-${folder.replace(/\/$/, '')}`;
        const location = new ExternalLocation(this, `location-${key}`, {
          name: participantDataLocationName(props.cleanroomName, participant, folder),
          url: `gs://${bucket}/${folder}`,
          credentialName: this.credential.name,
          comment: `Clean room ${props.cleanroomName}: ${what} of participant ${participant}`,
          isolationMode: 'ISOLATION_MODE_ISOLATED',
          owner: this.owner,
          // Validation writes a test file, which the credential may not do below input/, and the participant's grant
          // usually comes after this stack is deployed.
          skipValidation: true,
        });
        // Authoritative on purpose: nobody else gets privileges on a participant's data. Job principals least of all:
        // READ FILES would let participant code read any dataset by path, around the per-run table grants.
        new Grants(this, `grants-${key}`, {
          externalLocation: location.id,
          grant: [{ principal: this.runtimePrincipal, privileges: [...privileges] }],
        });
        byFolder.set(folder, location);
      }
      locations.set(participant, byFolder);
    }
    this.locations = locations;
  }
}

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
  if (props.owner !== undefined) {
    checkPattern(problems, 'owner', props.owner, DATABRICKS_OWNER, 'a group name, user email or service principal application id');
    problems.check(
      props.runtimePrincipal === undefined || props.owner.toLowerCase() !== props.runtimePrincipal.toLowerCase(),
      'owner',
      'an owner other than the runtime principal',
      props.owner,
    );
  }
  problems.throwIfAny(construct);
}
