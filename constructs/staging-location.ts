import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { ExternalLocation } from '@cdktf/provider-databricks/lib/external-location';
import { Grants } from '@cdktf/provider-databricks/lib/grants';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { RUNTIME_STAGING_LOCATION_PRIVILEGES } from 'cleanroom-runtime/src/engines/databricks/run-access-names';
import { STAGING_PREFIX } from 'cleanroom-runtime/src/runtime/release/release-step';
import { checkPrincipals, deployerUserName } from './databricks-principal';
import { prefixCondition } from './storage-conditions';
import { CLEANROOM_NAME, Problems, checkBucketName, checkPattern } from './validation';

export interface StagingLocationProps {
  readonly cleanroomName: string;
  /** The clean room's state bucket: runs write their results below its {@link STAGING_FOLDER}. */
  readonly stateBucketName: string;
  /** The storage credential (ParticipantDataLocations') whose Google service account writes that folder. */
  readonly credentialName: string;
  readonly credentialServiceAccountEmail: string;
  /** Default: the deployer. */
  readonly runtimePrincipal?: string;
  /** Default: the deployer. */
  readonly owner?: string;
  readonly dependsOn?: ITerraformDependable[];
}

/** Where runs write their results: the runtime's release step alone moves them to a participant's `output/`. */
export const STAGING_FOLDER = STAGING_PREFIX;

export function stagingLocationName(cleanroomName: string): string {
  return `${cleanroomName}-staging`;
}

/**
 * The clean room's staging location, `gs://<state bucket>/staging/`, where runs write their results. The credential's
 * Google service account gets object admin below `staging/` only. The grants are authoritative and name the runtime
 * principal alone: it reads staged results (its release notebook) and creates, for each run, an external volume over
 * `staging/<run>/` in the staging schema (StagingSchema), which creating an external volume requires
 * (https://docs.databricks.com/sql/language-manual/sql-ref-syntax-ddl-create-volume.html). Job principals get nothing
 * here: a run writes through its own volume only, granted to its principal for the run, so it cannot touch another
 * run's folder. The runtime deletes staged results after the run-history retention period.
 */
export class StagingLocation extends Construct {
  readonly location: ExternalLocation;

  constructor(scope: Construct, id: string, props: StagingLocationProps) {
    super(scope, id);
    validateProps(props, `StagingLocation "${id}"`);
    const runtimePrincipal = props.runtimePrincipal ?? deployerUserName(this);
    const owner = props.owner ?? deployerUserName(this);
    const objects = new StorageBucketIamMember(this, 'staging-object-admin', {
      bucket: props.stateBucketName,
      role: 'roles/storage.objectAdmin',
      member: `serviceAccount:${props.credentialServiceAccountEmail}`,
      condition: {
        title: 'cleanroom-staging-only',
        description: `Run results of clean room ${props.cleanroomName}: objects below gs://${props.stateBucketName}/${STAGING_FOLDER} only`,
        expression: prefixCondition(props.stateBucketName, [STAGING_FOLDER]),
      },
      dependsOn: props.dependsOn,
    });
    this.location = new ExternalLocation(this, 'location', {
      name: stagingLocationName(props.cleanroomName),
      url: `gs://${props.stateBucketName}/${STAGING_FOLDER}`,
      credentialName: props.credentialName,
      comment: `Clean room ${props.cleanroomName}: run results awaiting the release gate`,
      isolationMode: 'ISOLATION_MODE_ISOLATED',
      owner,
      // IAM changes take time to propagate (https://cloud.google.com/iam/docs/access-change-propagation).
      skipValidation: true,
      dependsOn: [objects],
    });
    new Grants(this, 'grants', {
      externalLocation: this.location.id,
      grant: [{ principal: runtimePrincipal, privileges: [...RUNTIME_STAGING_LOCATION_PRIVILEGES] }],
    });
  }
}

function validateProps(props: StagingLocationProps, construct: string): void {
  const problems = new Problems();
  checkPattern(problems, 'cleanroomName', props.cleanroomName, CLEANROOM_NAME, 'a clean room name');
  checkBucketName(problems, 'stateBucketName', props.stateBucketName);
  checkPrincipals(problems, props);
  problems.throwIfAny(construct);
}
