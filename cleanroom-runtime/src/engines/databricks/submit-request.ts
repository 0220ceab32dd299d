/** Builds the Jobs API 2.1 `runs/submit` body for one approved-notebook run. Pure. */
import { createHash } from 'node:crypto';
import type { RunSpec } from '../engine';
import { DatabricksInputError } from './errors';
import { assertParticipant } from './identifiers';

export type PolicyIdForCompute = ((size: string) => string | undefined) | Readonly<Record<string, string>>;

export interface ClusterSettings {
  policyIdForCompute: PolicyIdForCompute;
  /** Omitted from the request when unset: the size's policy then supplies it (apply_policy_default_values). */
  sparkVersion?: string;
  nodeTypeId?: string;
  /** e.g. SINGLE_USER for Unity Catalog; omitted when unset so the policy decides. */
  dataSecurityMode?: string;
  /** Kills a run that exceeds it (a number for every size, or per compute size); 0/undefined = no timeout. */
  runTimeoutSeconds?: number | ((size: string) => number | undefined);
  /**
   * The clean room's catalog, made every run's default through the cluster's Spark conf, so notebooks in any language
   * resolve `<participant>.<table>` in it (https://docs.databricks.com/gcp/en/catalogs/default).
   */
  catalog?: string;
}

/** Who may see a run: only this principal (runs/submit `access_control_list`, else the notebook's permissions apply). */
export interface RunAccess {
  /** A service principal's application id (UUID) or a user's email. */
  principal: string;
}

export interface AccessControlEntry {
  user_name?: string;
  service_principal_name?: string;
  permission_level: 'IS_OWNER';
}

/** The notebook a run starts and its widgets. */
export interface NotebookTask {
  notebookPath: string;
  baseParameters: Record<string, string>;
}

/**
 * Who a run executes as (runs/submit `run_as`: a user's email or a service principal's application id; setting a
 * service principal needs the servicePrincipal/user role on it,
 * https://docs.databricks.com/api/workspace/jobs/submit). Unset: the submitter, i.e. the runtime's principal.
 */
export interface RunAs {
  user_name?: string;
  service_principal_name?: string;
}

export interface SubmitRunBody {
  run_name: string;
  idempotency_token: string;
  timeout_seconds?: number;
  access_control_list?: AccessControlEntry[];
  run_as?: RunAs;
  tasks: Array<{
    task_key: string;
    notebook_task: { notebook_path: string; base_parameters: Record<string, string>; source: 'WORKSPACE' };
    new_cluster: Record<string, string | number | boolean | Record<string, string>>;
    timeout_seconds?: number;
  }>;
}

const TOKEN_SAFE = /^[A-Za-z0-9._-]{1,64}$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const POLICY_ID = /^[A-Za-z0-9-]{1,64}$/;
const SERVICE_PRINCIPAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_EMAIL = /^[^\s@]{1,128}@[^\s@]{1,255}$/;
const CATALOG = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;

/** The job event uuid when it fits Databricks' ≤64-char token, else its sha256 hex (always 64 chars). */
export function idempotencyToken(jobId: string): string {
  if (jobId === '') throw new DatabricksInputError('RunSpec.jobId is empty: it is the idempotency key of the run');
  return TOKEN_SAFE.test(jobId) ? jobId : createHash('sha256').update(jobId, 'utf8').digest('hex');
}

/** `cleanroom:<participant>:<job name>`, with control characters removed and the job name capped. */
export function runName(participant: string, jobName: string): string {
  assertParticipant(participant);
  // eslint-disable-next-line no-control-regex
  const cleaned = jobName.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200);
  return `cleanroom:${participant}:${cleaned}`;
}

export function policyIdFor(compute: string, policies: PolicyIdForCompute): string {
  const policyId = typeof policies === 'function'
    ? policies(compute)
    : Object.prototype.hasOwnProperty.call(policies, compute) ? policies[compute] : undefined;
  if (policyId === undefined || policyId === '') {
    const offered = typeof policies === 'function' ? '' : ` (sizes with a policy: ${Object.keys(policies).join(', ')})`;
    throw new DatabricksInputError(`Compute size ${JSON.stringify(compute)} has no cluster policy${offered}`);
  }
  if (!POLICY_ID.test(policyId)) {
    throw new DatabricksInputError(`Cluster policy id ${JSON.stringify(policyId)} for ${compute} is not a policy id`);
  }
  return policyId;
}

export function assertParameters(parameters: Record<string, string>): void {
  for (const [name, value] of Object.entries(parameters)) {
    if (!PARAMETER_NAME.test(name)) {
      throw new DatabricksInputError(
        `Job parameter name ${JSON.stringify(name)} is not allowed: letters, digits, "_", "-", "." (max 128)`,
      );
    }
    if (typeof value !== 'string') {
      throw new DatabricksInputError(`Job parameter ${name} must be a string, got ${typeof value}`);
    }
  }
}

/** `run_as` for a principal: a service principal by application id, a user by email; anything else is refused. */
export function runAsFor(principal: string): RunAs {
  if (SERVICE_PRINCIPAL.test(principal)) return { service_principal_name: principal };
  if (USER_EMAIL.test(principal)) return { user_name: principal };
  throw new DatabricksInputError(`Job principal ${JSON.stringify(principal.slice(0, 80))} is neither a service principal application id nor a user email`);
}

/** The one entry of a run's access control list: its owner is the runtime's principal, nobody else is listed. */
export function accessControlFor(access: RunAccess): AccessControlEntry {
  if (SERVICE_PRINCIPAL.test(access.principal)) return { service_principal_name: access.principal, permission_level: 'IS_OWNER' };
  if (USER_EMAIL.test(access.principal)) return { user_name: access.principal, permission_level: 'IS_OWNER' };
  throw new DatabricksInputError(`Runtime principal ${JSON.stringify(access.principal.slice(0, 80))} is neither a service principal application id nor a user email`);
}

export function runTimeoutFor(compute: string, timeout: ClusterSettings['runTimeoutSeconds']): number | undefined {
  const seconds = typeof timeout === 'function' ? timeout(compute) : timeout;
  if (seconds === undefined || seconds === 0) return undefined;
  if (!Number.isInteger(seconds) || seconds < 0) throw new DatabricksInputError(`Run timeout for ${compute} must be whole seconds, got ${seconds}`);
  return seconds;
}

export function buildSubmitRunBody(spec: Pick<RunSpec, 'jobId' | 'jobName' | 'participant' | 'parameters' | 'compute'>, task: NotebookTask, cluster: ClusterSettings): SubmitRunBody {
  assertParameters(spec.parameters);
  assertParameters(task.baseParameters);
  const newCluster: SubmitRunBody['tasks'][number]['new_cluster'] = {
    policy_id: policyIdFor(spec.compute, cluster.policyIdForCompute),
    apply_policy_default_values: true,
  };
  if (cluster.sparkVersion) newCluster.spark_version = cluster.sparkVersion;
  if (cluster.nodeTypeId) newCluster.node_type_id = cluster.nodeTypeId;
  if (cluster.dataSecurityMode) newCluster.data_security_mode = cluster.dataSecurityMode;
  if (cluster.catalog !== undefined) {
    if (!CATALOG.test(cluster.catalog)) throw new DatabricksInputError(`Catalog ${JSON.stringify(cluster.catalog)} is not a catalog name`);
    newCluster.spark_conf = { 'spark.databricks.sql.initial.catalog.name': cluster.catalog };
  }
  const body: SubmitRunBody = {
    run_name: runName(spec.participant, spec.jobName),
    idempotency_token: idempotencyToken(spec.jobId),
    tasks: [
      {
        task_key: 'cleanroom_job',
        notebook_task: { notebook_path: task.notebookPath, base_parameters: { ...task.baseParameters }, source: 'WORKSPACE' },
        new_cluster: newCluster,
      },
    ],
  };
  const timeout = runTimeoutFor(spec.compute, cluster.runTimeoutSeconds);
  if (timeout !== undefined) {
    body.timeout_seconds = timeout;
    body.tasks[0].timeout_seconds = timeout;
  }
  return body;
}
