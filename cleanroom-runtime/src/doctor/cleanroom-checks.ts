/**
 * The operator's side: what `cdktf deploy cleanroom` needs in the clean room project and workspace, and whether the
 * deployed clean room runs (token, compute access of the runtime principal, notifications, the last scheduled pass).
 */
import type { CleanroomConfig } from '../config';
import { EVENTS_LOG_PREFIX } from '../control/bucket-layout';
import {
  CLEANROOM_STACK_ID,
  computePolicyName,
  databricksTokenSecretId,
  eventsTopicId,
  participantStackId,
  runtimeServiceName,
  runtimeTickJobName,
  runtimeWarehouseName,
} from '../deployment/resource-names';
import { USE_LEVELS, levelsOf, type DatabricksAdmin } from './databricks-admin';
import { checkCaller, checkCatalog, checkMetastore, failedDatabricksCall } from './databricks-checks';
import { ok, pending, problem, type Finding } from './findings';
import { GoogleApiError, type GoogleApi } from './google-api';
import { checkApis, checkNotification, checkPermissions, failedCall } from './google-checks';
import { CLEANROOM_APIS, CLEANROOM_DEPLOY_PERMISSIONS, PREREQUISITE_APIS } from './requirements';

export interface CleanroomSideClients {
  /** Absent: no Google credentials (already reported). */
  readonly google?: GoogleApi;
  /** Absent: no Databricks token (already reported). */
  readonly databricks?: DatabricksAdmin;
}

const DEPLOY = `cdktf deploy ${CLEANROOM_STACK_ID}`;

export async function cleanroomChecks(config: CleanroomConfig, clients: CleanroomSideClients): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { project } = config.gcp;
  const { google, databricks } = clients;

  let deployed = false;
  if (google) {
    const service = await runtimeService(google, config);
    deployed = service.deployed;
    findings.push(...(await checkApis(google, project, PREREQUISITE_APIS, CLEANROOM_APIS, DEPLOY, deployed)));
    findings.push(await checkPermissions(google, project, CLEANROOM_DEPLOY_PERMISSIONS, DEPLOY));
    findings.push(service.finding);
    if (deployed) {
      findings.push(await checkTokenSecret(google, project, config.name));
      findings.push(await checkLastPass(google, config));
    }
  }

  findings.push(...configFindings(config));

  if (databricks) {
    findings.push(...(await checkMetastore(databricks)));
    findings.push(...(await checkCaller(databricks, config.databricks.owner, true)));
    findings.push(await checkCatalog(databricks, config.databricks.catalog, `gs://${config.stateBucket}/catalog/`, DEPLOY));
    findings.push(...(await checkRuntimePrincipal(databricks, config)));
  }

  if (google) {
    for (const participant of config.participants) {
      if (participant.gcp.storage_service_agent === undefined) continue;
      findings.push(
        await checkNotification(
          google,
          participant.bucket,
          eventsTopicId(project, config.name),
          EVENTS_LOG_PREFIX,
          `${participant.name} runs cdktf deploy ${participantStackId(participant.name)} (after the operator deployed the grant to its storage agent)`,
          `read the notifications of gs://${participant.bucket}; or ask ${participant.name} to run cleanroom doctor --participant ${participant.name}`,
        ),
      );
    }
  }
  return findings;
}

/** What the config still lacks after the first deploy (copied outputs, participants' agents). */
function configFindings(config: CleanroomConfig): Finding[] {
  const findings: Finding[] = [];
  findings.push(
    config.databricks.storageServiceAccount === undefined
      ? pending(
          'databricks.storage_service_account',
          "not set: the clean room's compute cannot read participants' data yet",
          `after ${DEPLOY}, copy its output storage_service_account into cleanroom.yaml (reviewed pull request); participants then deploy again`,
        )
      : ok('databricks.storage_service_account', config.databricks.storageServiceAccount),
  );
  for (const participant of config.participants) {
    if (participant.gcp.storage_service_agent === undefined) {
      findings.push(
        pending(
          `gcp.storage_service_agent of ${participant.name}`,
          'not set: its events reach the clean room only at the scheduled pass',
          `${participant.name} adds it to participants/${participant.name}.yaml (gcloud storage service-agent --project ${participant.gcp.project})`,
        ),
      );
    }
  }
  return findings;
}

async function runtimeService(google: GoogleApi, config: CleanroomConfig): Promise<{ deployed: boolean; finding: Finding }> {
  const name = runtimeServiceName(config.name);
  const check = `Cloud Run service ${name}`;
  try {
    const service = await google.get<{ terminalCondition?: { state?: string; message?: string } }>(
      'run',
      `/v2/projects/${encodeURIComponent(config.gcp.project)}/locations/${encodeURIComponent(config.gcp.region)}/services/${encodeURIComponent(name)}`,
    );
    const condition = service.terminalCondition;
    if (condition?.state === 'CONDITION_SUCCEEDED') return { deployed: true, finding: ok(check, 'ready') };
    return {
      deployed: true,
      finding: problem(check, `not ready (${condition?.state ?? 'no condition'}${condition?.message ? `: ${condition.message}` : ''})`, `gcloud run services describe ${name} --project ${config.gcp.project} --region ${config.gcp.region}, fix what it names, then ${DEPLOY}`),
    };
  } catch (error) {
    if (error instanceof GoogleApiError && error.status === 404) return { deployed: false, finding: pending(check, 'not deployed yet', DEPLOY) };
    if (error instanceof GoogleApiError && error.reason === 'SERVICE_DISABLED') return { deployed: false, finding: pending(check, 'not deployed yet (Cloud Run is not enabled)', DEPLOY) };
    return { deployed: false, finding: failedCall(check, error, `read Cloud Run services of ${config.gcp.project} (roles/run.viewer)`) };
  }
}

/** The runtime reads its token from the secret's latest version (Secret Manager `versions.get` of `latest`). */
async function checkTokenSecret(google: GoogleApi, project: string, cleanroomName: string): Promise<Finding> {
  const secret = databricksTokenSecretId(cleanroomName);
  const check = `secret ${secret}`;
  const fix = `printf '%s' "$TOKEN" | gcloud secrets versions add ${secret} --project ${project} --data-file=-`;
  try {
    const version = await google.get<{ name?: string; state?: string }>('secretmanager', `/v1/projects/${encodeURIComponent(project)}/secrets/${encodeURIComponent(secret)}/versions/latest`);
    if (version.state === 'ENABLED') return ok(check, `latest version ${version.name?.split('/').pop() ?? ''} enabled`);
    return problem(check, `latest version is ${version.state ?? 'not enabled'}: the runtime cannot reach Databricks`, fix);
  } catch (error) {
    if (error instanceof GoogleApiError && error.status === 404) return problem(check, 'no version: the runtime has no Databricks token, so no pass reaches Databricks', fix);
    return failedCall(check, error, `read the secret's versions (roles/secretmanager.viewer)`);
  }
}

/** The scheduled pass's last attempt (Cloud Scheduler job `lastAttemptTime` and `status`). */
async function checkLastPass(google: GoogleApi, config: CleanroomConfig): Promise<Finding> {
  const job = runtimeTickJobName(config.name);
  const check = `last scheduled pass (${job})`;
  const logs = `gcloud run services logs read ${runtimeServiceName(config.name)} --project ${config.gcp.project} --region ${config.gcp.region}`;
  try {
    const answer = await google.get<{ state?: string; lastAttemptTime?: string; status?: { code?: number; message?: string } }>(
      'cloudscheduler',
      `/v1/projects/${encodeURIComponent(config.gcp.project)}/locations/${encodeURIComponent(config.gcp.region)}/jobs/${encodeURIComponent(job)}`,
    );
    if (answer.state !== undefined && answer.state !== 'ENABLED') {
      return problem(check, `the job is ${answer.state}: no scheduled pass runs`, `gcloud scheduler jobs resume ${job} --project ${config.gcp.project} --location ${config.gcp.region}`);
    }
    if (answer.lastAttemptTime === undefined) return pending(check, 'no attempt yet', `wait for the schedule (${config.runtime.schedule}) or run gcloud scheduler jobs run ${job}`);
    const code = answer.status?.code ?? 0;
    if (code !== 0) return problem(check, `the attempt at ${answer.lastAttemptTime} failed (code ${code}${answer.status?.message ? `: ${answer.status.message}` : ''})`, `read the service's logs: ${logs}`);
    return ok(check, `succeeded at ${answer.lastAttemptTime}`);
  } catch (error) {
    if (error instanceof GoogleApiError && error.status === 404) return problem(check, 'the scheduler job does not exist', DEPLOY);
    return failedCall(check, error, `read Cloud Scheduler jobs (roles/cloudscheduler.viewer)`);
  }
}

/** CAN_USE of the runtime principal on every offered size's policy and on the runtime warehouse. */
async function checkRuntimePrincipal(admin: DatabricksAdmin, config: CleanroomConfig): Promise<Finding[]> {
  const principal = config.databricks.runtimePrincipal;
  if (principal === undefined) {
    return [ok('runtime principal', 'the deploying identity (a workspace admin, who may use every policy and owns the warehouse)')];
  }
  const findings: Finding[] = [];
  try {
    const policies = await admin.clusterPolicies();
    for (const size of config.computeSizes) {
      const name = computePolicyName(config.name, size);
      const id = policies.get(name);
      const check = `${principal} on cluster policy "${name}"`;
      if (id === undefined) {
        findings.push(pending(check, 'the policy does not exist yet', DEPLOY));
        continue;
      }
      findings.push(grantFinding(check, levelsOf(await admin.accessControlList('cluster-policies', id), principal), 'submit runs of this size'));
    }
    const warehouseName = runtimeWarehouseName(config.name);
    const warehouseId = (await admin.warehouses()).get(warehouseName);
    const check = `${principal} on SQL warehouse "${warehouseName}"`;
    findings.push(
      warehouseId === undefined
        ? pending(check, 'the warehouse does not exist yet', DEPLOY)
        : grantFinding(check, levelsOf(await admin.accessControlList('warehouses', warehouseId), principal), 'register datasets'),
    );
  } catch (error) {
    findings.push(failedDatabricksCall(`runtime principal ${principal}`, error));
  }
  return findings;
}

function grantFinding(check: string, levels: string[], toDo: string): Finding {
  if (levels.some((level) => USE_LEVELS.includes(level))) return ok(check, levels.join(', '));
  return problem(check, `no CAN_USE: the runtime cannot ${toDo}`, `${DEPLOY} (it grants CAN_USE to databricks.runtime_principal)`);
}
