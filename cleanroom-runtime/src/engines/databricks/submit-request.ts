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
  /** Kills a run that exceeds it; 0/undefined = no timeout. */
  runTimeoutSeconds?: number;
}

export interface SubmitRunBody {
  run_name: string;
  idempotency_token: string;
  timeout_seconds?: number;
  tasks: Array<{
    task_key: string;
    notebook_task: { notebook_path: string; base_parameters: Record<string, string>; source: 'WORKSPACE' };
    new_cluster: Record<string, string | number | boolean>;
  }>;
}

const TOKEN_SAFE = /^[A-Za-z0-9._-]{1,64}$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const POLICY_ID = /^[A-Za-z0-9-]{1,64}$/;

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

export function buildSubmitRunBody(spec: RunSpec, notebookPath: string, cluster: ClusterSettings): SubmitRunBody {
  assertParameters(spec.parameters);
  const newCluster: Record<string, string | number | boolean> = {
    policy_id: policyIdFor(spec.compute, cluster.policyIdForCompute),
    apply_policy_default_values: true,
  };
  if (cluster.sparkVersion) newCluster.spark_version = cluster.sparkVersion;
  if (cluster.nodeTypeId) newCluster.node_type_id = cluster.nodeTypeId;
  if (cluster.dataSecurityMode) newCluster.data_security_mode = cluster.dataSecurityMode;
  const body: SubmitRunBody = {
    run_name: runName(spec.participant, spec.jobName),
    idempotency_token: idempotencyToken(spec.jobId),
    tasks: [
      {
        task_key: 'cleanroom_job',
        notebook_task: { notebook_path: notebookPath, base_parameters: { ...spec.parameters }, source: 'WORKSPACE' },
        new_cluster: newCluster,
      },
    ],
  };
  if (cluster.runTimeoutSeconds && cluster.runTimeoutSeconds > 0) body.timeout_seconds = cluster.runTimeoutSeconds;
  return body;
}
