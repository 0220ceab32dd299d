/** Checks on a Google Cloud project and a bucket that both sides of the clean room run. */
import { ok, pending, problem, type Finding } from './findings';
import { GoogleApiError, type GoogleApi } from './google-api';
import type { RequiredPermission } from './requirements';

/** A finding for a call that failed: permission denied, API disabled, unreachable. */
export function failedCall(check: string, error: unknown, what: string): Finding {
  if (error instanceof GoogleApiError) {
    if (error.reason === 'SERVICE_DISABLED') {
      return problem(check, `cannot check: ${error.message}`, 'enable the API named in the message (gcloud services enable <api> --project <project>), then run cleanroom doctor again');
    }
    if (error.status === 401) return problem(check, 'the Google credentials were refused', 'gcloud auth application-default login (or set GOOGLE_OAUTH_ACCESS_TOKEN to a valid token)');
    if (error.status === 403) return problem(check, `cannot check: permission denied (${error.message})`, `run cleanroom doctor as an identity allowed to ${what}`);
  }
  return problem(check, `cannot check: ${(error as Error).message}`, 'run cleanroom doctor again; if it persists, check the network and the API status');
}

interface ServiceState {
  readonly state?: string;
}

/**
 * Whether each API is enabled (Service Usage `services.get`: https://cloud.google.com/service-usage/docs/reference/rest/v1/services/get).
 * Prerequisites must be on before a deploy; the stack's own APIs are enabled by the deploy, so before it they are pending.
 */
export async function checkApis(
  google: GoogleApi,
  project: string,
  prerequisites: readonly string[],
  stackApis: readonly string[],
  deployedBy: string,
  deployed: boolean,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const api of [...prerequisites, ...stackApis]) {
    const check = `API ${api} in ${project}`;
    try {
      const service = await google.get<ServiceState>('serviceusage', `/v1/projects/${encodeURIComponent(project)}/services/${encodeURIComponent(api)}`);
      if (service.state === 'ENABLED') {
        findings.push(ok(check, 'enabled'));
      } else if (prerequisites.includes(api) || deployed) {
        const state = service.state === 'DISABLED' || service.state === undefined ? 'disabled' : `in state ${service.state}`;
        findings.push(problem(check, `${state}${prerequisites.includes(api) ? ', and a deploy needs it first' : ''}`, `gcloud services enable ${api} --project ${project}`));
      } else {
        findings.push(pending(check, 'not enabled yet', `${deployedBy} enables it (or: gcloud services enable ${api} --project ${project})`));
      }
    } catch (error) {
      findings.push(failedCall(check, error, `read services of ${project} (roles/serviceusage.serviceUsageViewer)`));
    }
  }
  return findings;
}

/** The caller's permissions on the project (Resource Manager `projects.testIamPermissions`). */
export async function checkPermissions(google: GoogleApi, project: string, required: readonly RequiredPermission[], forWhat: string): Promise<Finding> {
  const check = `your permissions on ${project}`;
  try {
    const answer = await google.post<{ permissions?: string[] }>('cloudresourcemanager', `/v1/projects/${encodeURIComponent(project)}:testIamPermissions`, {
      permissions: required.map((r) => r.permission),
    });
    const granted = new Set(answer.permissions ?? []);
    const missing = required.filter((r) => !granted.has(r.permission));
    if (missing.length === 0) return ok(check, `everything ${forWhat} needs (${required.length} permissions)`);
    const roles = [...new Set(missing.map((m) => m.role))];
    return problem(
      check,
      `missing ${missing.map((m) => m.permission).join(', ')} for ${forWhat}`,
      `grant the deploying identity ${roles.join(', ')} on ${project} (gcloud projects add-iam-policy-binding ${project} --member=user:<you> --role=<role>)`,
    );
  } catch (error) {
    return failedCall(check, error, `test its permissions on ${project}`);
  }
}

interface NotificationConfig {
  readonly topic?: string;
  readonly event_types?: string[];
  readonly object_name_prefix?: string;
  readonly payload_format?: string;
}

/**
 * Whether the bucket announces new events commits to the clean room's topic (Cloud Storage `notifications.list`:
 * https://cloud.google.com/storage/docs/json_api/v1/notifications/list; the topic reads `//pubsub.googleapis.com/<id>`).
 */
export async function checkNotification(google: GoogleApi, bucket: string, topicId: string, prefix: string, missingFix: string, deniedWhat: string): Promise<Finding> {
  const check = `events notification of gs://${bucket}`;
  try {
    const listed = await google.get<{ items?: NotificationConfig[] }>('storage', `/storage/v1/b/${encodeURIComponent(bucket)}/notificationConfigs`);
    const wanted = `//pubsub.googleapis.com/${topicId}`;
    const match = (listed.items ?? []).find(
      (n) => n.topic === wanted && n.object_name_prefix === prefix && (n.event_types ?? []).includes('OBJECT_FINALIZE') && n.payload_format === 'JSON_API_V1',
    );
    if (match) return ok(check, `new commits below ${prefix} are published to ${topicId}`);
    return problem(check, `no notification of new objects below ${prefix} to ${topicId}: events wait for the scheduled pass`, missingFix);
  } catch (error) {
    if (error instanceof GoogleApiError && error.status === 404) return pending(check, 'the bucket does not exist yet', missingFix);
    return failedCall(check, error, deniedWhat);
  }
}
