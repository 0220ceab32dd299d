/**
 * A participant's side, run with its own credentials: what `cdktf deploy participant-<name>` needs in its project
 * and workspace, the storage service agent it publishes, and whether its bucket announces new events.
 */
import type { CleanroomConfig, ParticipantConfig } from '../config';
import { CATALOG_FOLDER, EVENTS_LOG_PREFIX } from '../control/bucket-layout';
import { participantCatalogName } from '../config';
import { eventsTopicId, participantStackId } from '../deployment/resource-names';
import type { DatabricksAdmin } from './databricks-admin';
import { checkCaller, checkCatalog, checkMetastore } from './databricks-checks';
import { ok, pending, problem, type Finding } from './findings';
import { GoogleApiError, type GoogleApi } from './google-api';
import { checkApis, checkNotification, checkPermissions, failedCall } from './google-checks';
import { PARTICIPANT_APIS, PARTICIPANT_DEPLOY_PERMISSIONS, PREREQUISITE_APIS } from './requirements';

export interface ParticipantSideClients {
  readonly google?: GoogleApi;
  /** The participant's own workspace. */
  readonly databricks?: DatabricksAdmin;
}

export async function participantChecks(config: CleanroomConfig, participant: ParticipantConfig, clients: ParticipantSideClients): Promise<Finding[]> {
  const findings: Finding[] = [];
  const deploy = `cdktf deploy ${participantStackId(participant.name)}`;
  const project = participant.gcp.project;
  const { google, databricks } = clients;

  if (google) {
    const bucketExists = await bucketFinding(google, participant.bucket, deploy);
    findings.push(...(await checkApis(google, project, PREREQUISITE_APIS, PARTICIPANT_APIS, deploy, bucketExists.exists)));
    findings.push(await checkPermissions(google, project, PARTICIPANT_DEPLOY_PERMISSIONS, deploy));
    findings.push(await checkStorageAgent(google, participant));
    findings.push(bucketExists.finding);
    if (bucketExists.exists && participant.gcp.storage_service_agent !== undefined) {
      findings.push(
        await checkNotification(
          google,
          participant.bucket,
          eventsTopicId(config.gcp.project, config.name),
          EVENTS_LOG_PREFIX,
          `${deploy} again (once the operator has deployed the clean room with your storage_service_agent)`,
          `read the notifications of gs://${participant.bucket} (roles/storage.admin on the bucket)`,
        ),
      );
    }
  }

  findings.push(
    config.databricks.storageServiceAccount === undefined
      ? pending("the clean room compute's access to your bucket", 'databricks.storage_service_account is not set in cleanroom.yaml yet', `once the operator sets it, ${deploy} again`)
      : ok("the clean room compute's access to your bucket", `granted to ${config.databricks.storageServiceAccount} by ${deploy}`),
  );

  if (databricks) {
    findings.push(...(await checkMetastore(databricks)));
    findings.push(...(await checkCaller(databricks, participant.databricks.owner, false)));
    findings.push(await checkCatalog(databricks, participantCatalogName(participant.name), `gs://${participant.bucket}/${CATALOG_FOLDER}`, deploy));
  }
  return findings;
}

async function bucketFinding(google: GoogleApi, bucket: string, deploy: string): Promise<{ exists: boolean; finding: Finding }> {
  const check = `bucket gs://${bucket}`;
  try {
    const answer = await google.get<{ iamConfiguration?: { uniformBucketLevelAccess?: { enabled?: boolean } } }>('storage', `/storage/v1/b/${encodeURIComponent(bucket)}`);
    if (answer.iamConfiguration?.uniformBucketLevelAccess?.enabled !== true) {
      // The clean room's grants are limited to folders by IAM conditions, which need uniform bucket-level access.
      return { exists: true, finding: problem(check, 'uniform bucket-level access is off: the folder-limited grants cannot apply', `${deploy} (it turns it on)`) };
    }
    return { exists: true, finding: ok(check, 'exists, uniform bucket-level access') };
  } catch (error) {
    if (error instanceof GoogleApiError && error.status === 404) return { exists: false, finding: pending(check, 'does not exist yet', `${deploy} creates it`) };
    return { exists: false, finding: failedCall(check, error, `read gs://${bucket} (roles/storage.admin on the bucket)`) };
  }
}

/** The project's Cloud Storage service agent (`projects.serviceAccount.get`) against the one the config publishes. */
async function checkStorageAgent(google: GoogleApi, participant: ParticipantConfig): Promise<Finding> {
  const check = `gcp.storage_service_agent of ${participant.name}`;
  try {
    const answer = await google.get<{ email_address?: string }>('storage', `/storage/v1/projects/${encodeURIComponent(participant.gcp.project)}/serviceAccount`);
    const actual = answer.email_address;
    const published = participant.gcp.storage_service_agent;
    if (published === undefined) {
      return pending(check, 'not in your config: new events reach the clean room only at its scheduled pass', `add storage_service_agent: ${actual ?? '<agent>'} under gcp: in participants/${participant.name}.yaml (a reviewed pull request)`);
    }
    if (actual !== published) {
      return problem(check, `the config says ${published} but the project's agent is ${actual ?? 'unknown'}: the clean room would let the wrong account publish`, `set storage_service_agent: ${actual ?? '<agent>'} in participants/${participant.name}.yaml`);
    }
    return ok(check, `${published}, the project's agent`);
  } catch (error) {
    return failedCall(check, error, `read the Cloud Storage service agent of ${participant.gcp.project}`);
  }
}
