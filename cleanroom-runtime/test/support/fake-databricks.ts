/**
 * A fake Databricks workspace REST server for tests (test code only), on 127.0.0.1:0. It behaves like the
 * documented Jobs 2.1, Workspace 2.0 and SQL Statement Execution 2.0 APIs for the calls the engine makes:
 * bearer auth (401/403), idempotency tokens, the run life cycle, get-output per task run, workspace import
 * conflicts and SOURCE export, SQL statements PENDING → SUCCEEDED/FAILED, plus injected 429/5xx/resets/hangs.
 * It says no as the documentation says Databricks does:
 * - a cluster that breaks its policy is refused with INVALID_PARAMETER_VALUE, a principal without CAN_USE on the
 *   policy with PERMISSION_DENIED (https://docs.databricks.com/gcp/en/admin/clusters/policy-definition,
 *   https://docs.databricks.com/gcp/en/admin/clusters/policies): with `policies` set;
 * - runs are QUEUED or BLOCKED before they start, and runs/get answers the `status` field (state, queue_details,
 *   termination_details) besides the deprecated `state` (https://docs.databricks.com/api/gcp/workspace/jobs/getrun);
 * - workspace files (import format RAW) are not notebooks: a run cannot start one
 *   (https://docs.databricks.com/api/gcp/workspace/workspace/import);
 * - runs/submit `run_as` names one active principal: a service principal's application id (the caller needs the
 *   servicePrincipal/user role on it) or a user's email (a non-admin caller only its own),
 *   https://docs.databricks.com/api/workspace/jobs/submit and
 *   https://databricks.github.io/sdk-js/api/interfaces/_databricks_sdk-jobs.v2.JobRunAs.html: with `servicePrincipals` set;
 * - runs/get-output answers a notebook's dbutils.notebook.exit value as notebook_output.result (first 5 MB, with
 *   `truncated`), https://docs.databricks.com/api/workspace/jobs/getrunoutput;
 * - jobs/list and runs/list page at most 100 and 25 items (has_more, next_page_token; a larger limit is refused),
 *   each job and run names its creator (https://docs.databricks.com/api/workspace/jobs/list,
 *   https://docs.databricks.com/api/workspace/jobs/listruns); jobs/delete and runs/cancel (asynchronous: the run
 *   stays active, TERMINATING, until advanced) refuse what does not exist.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMetastore, type FakeTable } from './fake-databricks-sql';
import { FakeUnityCatalog, UnityCatalogError, type FakeUnityCatalogOptions } from './fake-unity-catalog';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The injected fault this request got, if any. */
  fault?: FaultStatus;
}

export type FaultStatus = 429 | 500 | 502 | 503 | 504 | 'reset' | 'hang';

export interface FaultSpec {
  path: string;
  method?: 'GET' | 'POST';
  status: FaultStatus;
  /** How many matching requests get the fault. */
  times: number;
  /** Retry-After header value (seconds or HTTP date) for 429/503. */
  retryAfter?: number | string;
}

/** One attribute rule of a cluster policy definition (the subset the clean room's policies use). */
export type PolicyRule =
  | { type: 'fixed'; value: string | number | boolean }
  | { type: 'forbidden' }
  | { type: 'unlimited'; defaultValue?: string | number | boolean }
  | { type: 'allowlist'; values: Array<string | number | boolean>; defaultValue?: string | number | boolean };

export interface FakePolicy {
  definition: Record<string, PolicyRule>;
  /** Principals (user names / application ids) holding CAN_USE; workspace admins are not modelled. */
  canUse: string[];
}

export interface RunStateUpdate {
  /** Also QUEUED and BLOCKED: `status.state` says so, `state.life_cycle_state` too (QUEUED) or PENDING (BLOCKED). */
  lifeCycleState: string;
  /** For QUEUED runs: `status.queue_details`. */
  queueReason?: { code: string; message: string };
  resultState?: string;
  stateMessage?: string;
  error?: string;
  errorTrace?: string;
  /** The value the notebook passed to dbutils.notebook.exit (runs/get-output notebook_output.result). */
  notebookResult?: string;
}

export interface FakeRun {
  runId: number;
  /** Who submitted it (creator_user_name): the runtime, unless created with `startRunAs`. */
  creator: string;
  taskRunId: number;
  runName?: string;
  idempotencyToken?: string;
  submitted: Record<string, unknown>;
  lifeCycleState: string;
  resultState?: string;
  stateMessage: string;
  startTime: number;
  endTime: number;
  error?: string;
  errorTrace?: string;
  notebookResult?: string;
  queueReason?: { code: string; message: string };
}

export interface FakeDatabricksOptions {
  token?: string;
  warehouseId?: string;
  /** GET polls a statement stays PENDING/RUNNING before it completes. Default 1. */
  statementPendingPolls?: number;
  /** Who the token belongs to (SCIM Me userName, and the principal checked against policies' CAN_USE). */
  principal?: string;
  /** Policies by id; unset: any policy id is accepted unchecked. */
  policies?: Record<string, FakePolicy>;
  /**
   * Active service principals by application id, each with the principals holding the servicePrincipal/user role
   * on it; with it set, runs/submit checks `run_as`. Unset: run_as is accepted unchecked.
   */
  servicePrincipals?: Record<string, { users: string[] }>;
  /** runs/get: both fields (default), or only the newer `status`. */
  runFields?: 'state-and-status' | 'status-only';
  /**
   * Catalogs of the metastore; unset: any catalog is accepted. A statement's `catalog` works like USE CATALOG, which
   * fails with NO_SUCH_CATALOG_EXCEPTION for a catalog that does not exist
   * (https://docs.databricks.com/sql/language-manual/sql-ref-syntax-ddl-use-catalog.html).
   */
  catalogs?: string[];
  /**
   * Whether the caller is a workspace admin (SCIM Me lists the `admins` group; default true). A caller that is not
   * sees in jobs/list and runs/list only what it created: jobs and runs are visible to their owner, to those granted
   * a permission on them, and to admins (https://docs.databricks.com/jobs/privileges.html).
   */
  callerIsAdmin?: boolean;
  /** Unity Catalog volumes and grants (fake-unity-catalog.ts); unset: those APIs answer ENDPOINT_NOT_FOUND. */
  unityCatalog?: FakeUnityCatalogOptions;
}

export interface FakeDatabricks {
  host: string;
  token: string;
  warehouseId: string;
  requests: RecordedRequest[];
  runs(): FakeRun[];
  setRunState(runId: number | string, update: RunStateUpdate): void;
  /** PENDING → RUNNING → TERMINATED(SUCCESS) for every active run; `outcome` makes the terminating step fail. */
  advanceRuns(outcome?: Omit<RunStateUpdate, 'lifeCycleState'>): void;
  injectFaults(fault: FaultSpec): void;
  /** Statements matching `pattern` end FAILED with this message. */
  failStatements(pattern: RegExp, message: string): void;
  putWorkspaceObject(path: string, language: string, content: string): void;
  /** A notebook (language SQL, PYTHON, ...) or a workspace file (language FILE). */
  workspaceObject(path: string): { language: string; content: string } | undefined;
  principal: string;
  tables(): FakeTable[];
  putTable(table: FakeTable): void;
  statements(): string[];
  /** With `unityCatalog` set: its volumes and grants, and what a principal could read and write now. */
  unityCatalog?: FakeUnityCatalog;
  /** The principal a run executes as (its run_as, else the caller). */
  runAs(runId: number | string): string;
  /** A run some principal started itself (e.g. approved code with its principal's token); returns its id. */
  startRunAs(creator: string, runName: string): number;
  /** A job some principal created; returns its id. */
  createJobAs(creator: string): number;
  jobs(): Array<{ jobId: number; creator: string }>;
  close(): Promise<void>;
}

interface Statement {
  id: string;
  text: string;
  pollsLeft: number;
  response?: Record<string, unknown>;
}

class HttpError {
  constructor(readonly status: number, readonly errorCode: string, readonly message: string) {}
}

const EXTENSION: Record<string, string> = { SQL: 'sql', PYTHON: 'py', SCALA: 'scala', R: 'r' };
const COMMENT: Record<string, string> = { SQL: '--', PYTHON: '#', SCALA: '//', R: '#' };
const TERMINAL = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);
/** `status.state` of each life cycle state (the newer field has no SKIPPED or INTERNAL_ERROR: both are TERMINATED). */
const STATUS_STATE: Record<string, string> = { SKIPPED: 'TERMINATED', INTERNAL_ERROR: 'TERMINATED', WAITING_FOR_RETRY: 'PENDING' };
const TERMINATION_CODE: Record<string, { code: string; type: string }> = {
  SUCCESS: { code: 'SUCCESS', type: 'SUCCESS' },
  FAILED: { code: 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR' },
  TIMEDOUT: { code: 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR' },
  CANCELED: { code: 'USER_CANCELED', type: 'SUCCESS' },
};

function terminationDetails(run: FakeRun): Record<string, string> {
  if (run.lifeCycleState === 'INTERNAL_ERROR') return { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR', message: run.stateMessage };
  if (run.lifeCycleState === 'SKIPPED') return { code: 'SKIPPED', type: 'SUCCESS', message: run.stateMessage };
  return { ...(TERMINATION_CODE[run.resultState ?? 'FAILED'] ?? TERMINATION_CODE.FAILED), message: run.stateMessage };
}

/** `{a: {b: 1}}` → `{'a.b': 1}`: the attribute paths policy definitions name. */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) Object.assign(out, flatten(inner as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = inner;
  }
  return out;
}

/** The first policy violation of a cluster spec, as Databricks words it, or undefined. */
function policyViolation(policy: FakePolicy, cluster: Record<string, unknown>): string | undefined {
  const attributes = flatten(cluster);
  for (const [path, rule] of Object.entries(policy.definition)) {
    const given = attributes[path];
    if (rule.type === 'forbidden' && given !== undefined) return `Validation failed for ${path}, the value cannot be present`;
    if (rule.type === 'fixed' && given !== undefined && given !== rule.value) {
      return `Validation failed for ${path}, the value must be ${String(rule.value)} (is "${String(given)}")`;
    }
    if (rule.type === 'allowlist' && given !== undefined && !rule.values.includes(given as string)) {
      return `Validation failed for ${path}, the value must be one of ${rule.values.join(', ')} (is "${String(given)}")`;
    }
  }
  return undefined;
}

export async function startFakeDatabricks(options: FakeDatabricksOptions = {}): Promise<FakeDatabricks> {
  const token = options.token ?? 'dapi-fake-token-0123456789';
  const warehouseId = options.warehouseId ?? 'abc123warehouse';
  const pendingPolls = options.statementPendingPolls ?? 1;
  const requests: RecordedRequest[] = [];
  const faults: FaultSpec[] = [];
  const statementFailures: Array<{ pattern: RegExp; message: string }> = [];
  const runs = new Map<number, FakeRun>();
  const runsByTask = new Map<number, FakeRun>();
  const jobs = new Map<number, { jobId: number; creator: string }>();
  let nextJobId = 7001;
  const byIdempotencyToken = new Map<string, number>();
  const directories = new Set<string>(['/']);
  const objects = new Map<string, { language: string; content: string }>();
  const metastore = new FakeMetastore();
  const statements = new Map<string, Statement>();
  const statementLog: string[] = [];
  const principal = options.principal ?? 'cleanroom-runtime@example.com';
  const unityCatalog = options.unityCatalog ? new FakeUnityCatalog(options.unityCatalog, metastore, principal) : undefined;
  let nextRunId = 1001;
  let nextStatement = 1;
  let host = '';

  const now = (): number => Date.now();

  function mkdirs(path: string): void {
    const parts = path.split('/').filter(Boolean);
    let current = '';
    for (const part of parts) {
      current += `/${part}`;
      if (objects.has(current)) throw new HttpError(400, 'RESOURCE_ALREADY_EXISTS', `Path (${current}) already exists.`);
      directories.add(current);
    }
  }

  function runJson(run: FakeRun): Record<string, unknown> {
    const state: Record<string, unknown> = {
      life_cycle_state: run.lifeCycleState,
      state_message: run.stateMessage,
      user_cancelled_or_timedout: false,
    };
    if (run.resultState) state.result_state = run.resultState;
    if (run.lifeCycleState === 'BLOCKED') state.life_cycle_state = 'PENDING';
    const task = (run.submitted.tasks as Array<Record<string, unknown>> | undefined)?.[0] ?? {};
    const status: Record<string, unknown> = { state: STATUS_STATE[run.lifeCycleState] ?? run.lifeCycleState };
    if (run.queueReason) status.queue_details = run.queueReason;
    if (run.lifeCycleState === 'TERMINATED' || run.lifeCycleState === 'INTERNAL_ERROR' || run.lifeCycleState === 'SKIPPED') {
      status.termination_details = terminationDetails(run);
    }
    return {
      run_id: run.runId,
      run_name: run.runName,
      number_in_job: run.runId,
      ...(options.runFields === 'status-only' ? {} : { state }),
      status,
      start_time: run.startTime,
      end_time: run.endTime,
      run_page_url: `${host}/?o=1234567890#job/0/run/${run.runId}`,
      run_type: 'SUBMIT_RUN',
      tasks: [
        { run_id: run.taskRunId, task_key: task.task_key, state, start_time: run.startTime, end_time: run.endTime },
      ],
    };
  }

  function submit(body: Record<string, unknown>): unknown {
    const tokenValue = body.idempotency_token;
    if (tokenValue !== undefined && (typeof tokenValue !== 'string' || tokenValue.length > 64)) {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'idempotency_token must be a string of at most 64 characters');
    }
    if (typeof tokenValue === 'string' && byIdempotencyToken.has(tokenValue)) {
      return { run_id: byIdempotencyToken.get(tokenValue) };
    }
    const tasks = body.tasks;
    if (!Array.isArray(tasks) || tasks.length === 0) {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'A one-time run needs at least one task in tasks');
    }
    for (const task of tasks as Array<Record<string, unknown>>) {
      const notebook = task.notebook_task as { notebook_path?: unknown } | undefined;
      const cluster = task.new_cluster as { policy_id?: unknown } | undefined;
      if (typeof task.task_key !== 'string') throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'task_key is required');
      const object = notebook && typeof notebook.notebook_path === 'string' ? objects.get(notebook.notebook_path) : undefined;
      if (!object || object.language === 'FILE') {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Notebook not found: ${String(notebook?.notebook_path)}`);
      }
      if (!cluster || typeof cluster.policy_id !== 'string') {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'new_cluster.policy_id is required in this workspace');
      }
      if (options.policies) {
        const policy = options.policies[cluster.policy_id];
        if (!policy) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Cluster policy ${cluster.policy_id} does not exist`);
        if (!policy.canUse.includes(principal)) {
          throw new HttpError(403, 'PERMISSION_DENIED', `${principal} does not have CAN_USE permission on cluster policy ${cluster.policy_id}`);
        }
        const violation = policyViolation(policy, cluster as Record<string, unknown>);
        if (violation) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Cluster validation error: ${violation}`);
      }
    }
    checkRunAs(body.run_as);
    const acl = body.access_control_list;
    if (acl !== undefined) {
      const entries = Array.isArray(acl) ? (acl as Array<Record<string, unknown>>) : [];
      const levels = new Set(['CAN_MANAGE', 'CAN_MANAGE_RUN', 'CAN_VIEW', 'IS_OWNER']);
      const bad = !Array.isArray(acl) || entries.some((e) => !levels.has(String(e.permission_level)) ||
        ['user_name', 'group_name', 'service_principal_name'].filter((k) => typeof e[k] === 'string').length !== 1);
      if (bad) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Invalid access_control_list');
      if (entries.filter((e) => e.permission_level === 'IS_OWNER').length > 1) {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'A run can have only one owner (IS_OWNER)');
      }
    }
    const runId = nextRunId++;
    const run: FakeRun = {
      runId,
      creator: principal,
      taskRunId: runId + 500_000,
      runName: typeof body.run_name === 'string' ? body.run_name : undefined,
      idempotencyToken: typeof tokenValue === 'string' ? tokenValue : undefined,
      submitted: body,
      lifeCycleState: 'PENDING',
      stateMessage: 'Waiting for cluster',
      startTime: now(),
      endTime: 0,
    };
    runs.set(runId, run);
    runsByTask.set(run.taskRunId, run);
    if (run.idempotencyToken) byIdempotencyToken.set(run.idempotencyToken, runId);
    return { run_id: runId };
  }

  function checkRunAs(runAs: unknown): void {
    if (runAs === undefined) return;
    const entry = typeof runAs === 'object' && runAs !== null ? (runAs as Record<string, unknown>) : {};
    const named = ['user_name', 'service_principal_name', 'group_name'].filter((k) => typeof entry[k] === 'string');
    if (named.length !== 1) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'run_as: either user_name or service_principal_name should be specified');
    if (!options.servicePrincipals) return;
    if (typeof entry.service_principal_name === 'string') {
      const sp = options.servicePrincipals[entry.service_principal_name];
      if (!sp) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Service principal ${entry.service_principal_name} does not exist or is not active in this workspace`);
      if (!sp.users.includes(principal)) {
        throw new HttpError(403, 'PERMISSION_DENIED', `${principal} does not have the servicePrincipal/user role on ${entry.service_principal_name}`);
      }
      return;
    }
    if (typeof entry.user_name === 'string' && entry.user_name !== principal) {
      throw new HttpError(403, 'PERMISSION_DENIED', 'Non-admin users can only set run_as to their own email');
    }
  }

  function numericParam(query: Record<string, string>, name: string): number {
    const value = query[name];
    if (value === undefined || !/^\d+$/.test(value)) {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `${name} must be a number`);
    }
    return Number(value);
  }

  function statementJson(statement: Statement): Record<string, unknown> {
    if (statement.response) return statement.response;
    return { statement_id: statement.id, status: { state: statement.pollsLeft === pendingPolls ? 'PENDING' : 'RUNNING' } };
  }

  function completeStatement(statement: Statement): void {
    const failure = statementFailures.find((f) => f.pattern.test(statement.text));
    const outcome = failure
      ? { ok: false, errorCode: 'BAD_REQUEST', message: failure.message }
      : metastore.execute(statement.text);
    statement.response = outcome.ok
      ? {
          statement_id: statement.id,
          status: { state: 'SUCCEEDED' },
          manifest: {
            format: 'JSON_ARRAY',
            schema: {
              column_count: outcome.columns?.length ?? 0,
              columns: (outcome.columns ?? []).map((name, position) => ({ name, position, type_name: 'STRING' })),
            },
            total_chunk_count: 1,
            total_row_count: outcome.rows?.length ?? 0,
          },
          result: { chunk_index: 0, row_offset: 0, row_count: outcome.rows?.length ?? 0, data_array: outcome.rows ?? [] },
        }
      : {
          statement_id: statement.id,
          status: { state: 'FAILED', error: { error_code: outcome.errorCode, message: outcome.message } },
        };
  }

  /** One page of `items` from `page_token` (an offset here), at most `limit` (at most `max`). */
  function page<T>(items: T[], query: Record<string, string>, max: number): { items: T[]; more: Record<string, unknown> } {
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `limit must be between 1 and ${max}`);
    const offset = query.page_token === undefined ? 0 : Number(query.page_token);
    const slice = items.slice(offset, offset + limit);
    return { items: slice, more: offset + limit < items.length ? { has_more: true, next_page_token: String(offset + limit) } : { has_more: false } };
  }

  function route(method: string, path: string, query: Record<string, string>, body: Record<string, unknown>): unknown {
    if (method === 'POST' && path === '/api/2.1/jobs/runs/submit') return submit(body);
    if (method === 'GET' && path === '/api/2.1/jobs/list') {
      const { items, more } = page([...jobs.values()].filter((j) => options.callerIsAdmin !== false || j.creator === principal), query, 100);
      return { ...(items.length > 0 ? { jobs: items.map((j) => ({ job_id: j.jobId, creator_user_name: j.creator, settings: { name: `job ${j.jobId}` } })) } : {}), ...more };
    }
    if (method === 'POST' && path === '/api/2.1/jobs/delete') {
      if (!jobs.delete(Number(body.job_id))) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Job ${String(body.job_id)} does not exist.`);
      return {};
    }
    if (method === 'GET' && path === '/api/2.1/jobs/runs/list') {
      const active = query.active_only === 'true';
      const listed = [...runs.values()].filter((r) => (!active || !TERMINAL.has(r.lifeCycleState)) && (options.callerIsAdmin !== false || r.creator === principal)).sort((a, b) => b.startTime - a.startTime || b.runId - a.runId);
      const { items, more } = page(listed, query, 25);
      return { ...(items.length > 0 ? { runs: items.map((r) => ({ ...runJson(r), creator_user_name: r.creator })) } : {}), ...more };
    }
    if (method === 'POST' && path === '/api/2.1/jobs/runs/cancel') {
      const run = runs.get(Number(body.run_id));
      if (!run) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${String(body.run_id)} does not exist.`);
      if (!TERMINAL.has(run.lifeCycleState)) applyState(run, { lifeCycleState: 'TERMINATING', stateMessage: 'Canceling' });
      return {};
    }
    if (method === 'GET' && path === '/api/2.1/jobs/runs/get') {
      const run = runs.get(numericParam(query, 'run_id'));
      if (!run) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${query.run_id} does not exist.`);
      return runJson(run);
    }
    if (method === 'GET' && path === '/api/2.1/jobs/runs/get-output') {
      const id = numericParam(query, 'run_id');
      if (runs.has(id)) {
        throw new HttpError(
          400,
          'INVALID_PARAMETER_VALUE',
          'Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.',
        );
      }
      const run = runsByTask.get(id);
      if (!run) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${id} does not exist.`);
      const output: Record<string, unknown> = { metadata: runJson(run) };
      if (run.error !== undefined) output.error = run.error;
      if (run.errorTrace !== undefined) output.error_trace = run.errorTrace;
      if (run.resultState === 'SUCCESS') {
        const limit = 5 * 1024 * 1024;
        output.notebook_output = run.notebookResult === undefined ? {}
          : { result: run.notebookResult.slice(0, limit), ...(run.notebookResult.length > limit ? { truncated: true } : {}) };
      }
      return output;
    }
    if (method === 'GET' && path === '/api/2.0/preview/scim/v2/Me') {
      return { id: '7391000000000001', userName: principal, active: true, groups: options.callerIsAdmin === false ? [{ display: 'users', value: '2' }] : [{ display: 'admins', value: '1' }, { display: 'users', value: '2' }] };
    }
    if (method === 'POST' && path === '/api/2.0/workspace/mkdirs') {
      if (typeof body.path !== 'string' || !body.path.startsWith('/')) {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'path must be absolute');
      }
      mkdirs(body.path);
      return {};
    }
    if (method === 'POST' && path === '/api/2.0/workspace/import') {
      const target = body.path;
      if (typeof target !== 'string' || !target.startsWith('/')) {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'path must be absolute');
      }
      if (body.format === 'SOURCE' && typeof body.language !== 'string') {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'The language field is required to import a SOURCE file.');
      }
      const parent = target.slice(0, target.lastIndexOf('/')) || '/';
      if (!directories.has(parent)) {
        throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `The parent folder (${parent}) does not exist.`);
      }
      if ((objects.has(target) || directories.has(target)) && body.overwrite !== true) {
        throw new HttpError(400, 'RESOURCE_ALREADY_EXISTS', `Path (${target}) already exists.`);
      }
      objects.set(target, {
        language: body.format === 'RAW' ? 'FILE' : String(body.language),
        content: Buffer.from(String(body.content ?? ''), 'base64').toString('utf8'),
      });
      return {};
    }
    if (method === 'GET' && path === '/api/2.0/workspace/export') {
      const object = objects.get(query.path ?? '');
      if (!object) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Path (${query.path}) doesn't exist.`);
      if (object.language === 'FILE') return { content: Buffer.from(object.content, 'utf8').toString('base64') };
      const header = `${COMMENT[object.language] ?? '#'} Databricks notebook source`;
      const source = object.content.startsWith(header) ? object.content : `${header}\n${object.content}`;
      return { content: Buffer.from(source, 'utf8').toString('base64'), file_type: EXTENSION[object.language] ?? 'py' };
    }
    if (method === 'POST' && path === '/api/2.0/sql/statements') {
      if (body.warehouse_id !== warehouseId) {
        throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Warehouse ${String(body.warehouse_id)} does not exist.`);
      }
      if (typeof body.statement !== 'string') throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'statement is required');
      const statement: Statement = { id: `01ef-fake-${nextStatement++}`, text: body.statement, pollsLeft: pendingPolls };
      if (typeof body.catalog === 'string' && options.catalogs && !options.catalogs.includes(body.catalog)) {
        statement.response = {
          statement_id: statement.id,
          status: { state: 'FAILED', error: { error_code: 'BAD_REQUEST', message: `[NO_SUCH_CATALOG_EXCEPTION] Catalog '${body.catalog}' was not found. SQLSTATE: 42704` } },
        };
      }
      statements.set(statement.id, statement);
      statementLog.push(statement.text);
      if (pendingPolls === 0 && !statement.response) completeStatement(statement);
      return statementJson(statement);
    }
    const statementMatch = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/cancel)?$/.exec(path);
    if (statementMatch) {
      const statement = statements.get(statementMatch[1]);
      if (!statement) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Statement ${statementMatch[1]} not found`);
      if (method === 'POST' && statementMatch[2]) {
        statement.response ??= { statement_id: statement.id, status: { state: 'CANCELED' } };
        return {};
      }
      if (method === 'GET' && !statementMatch[2]) {
        if (!statement.response) {
          statement.pollsLeft -= 1;
          if (statement.pollsLeft <= 0) completeStatement(statement);
        }
        return statementJson(statement);
      }
    }
    const answer = unityCatalog?.route(method, path, body);
    if (answer !== undefined) return answer;
    throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No API found for '${method} ${path}'`);
  }

  function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(payload));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    let parseError = false;
    if (text !== '') {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parseError = true;
      }
    }
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: text === '' ? undefined : parseError ? text : body,
    };
    requests.push(recorded);

    const fault = faults.find((f) => f.times > 0 && f.path === url.pathname && (!f.method || f.method === method));
    if (fault) {
      fault.times -= 1;
      recorded.fault = fault.status;
      if (fault.status === 'hang') return;
      if (fault.status === 'reset') {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      const code = fault.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : fault.status === 503 ? 'TEMPORARILY_UNAVAILABLE' : 'INTERNAL_ERROR';
      send(res, fault.status, { error_code: code, message: `Injected ${fault.status}` }, headers);
      return;
    }

    const authorization = req.headers.authorization;
    if (!authorization || !authorization.startsWith('Bearer ')) {
      send(res, 401, { error_code: 'UNAUTHENTICATED', message: 'Credential was not sent or was of an unsupported type for this API.' });
      return;
    }
    if (authorization !== `Bearer ${token}`) {
      send(res, 403, { error_code: 'PERMISSION_DENIED', message: 'Invalid access token.' });
      return;
    }
    if (parseError) {
      send(res, 400, { error_code: 'MALFORMED_REQUEST', message: 'Invalid JSON given in the body of the request' });
      return;
    }
    try {
      send(res, 200, route(method, url.pathname, recorded.query, body));
    } catch (error) {
      if (error instanceof HttpError || error instanceof UnityCatalogError) send(res, error.status, { error_code: error.errorCode, message: error.message });
      else send(res, 500, { error_code: 'INTERNAL_ERROR', message: String(error) });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function requireRun(runId: number | string): FakeRun {
    const run = runs.get(Number(runId));
    if (!run) throw new Error(`fake Databricks has no run ${runId}`);
    return run;
  }

  function applyState(run: FakeRun, update: RunStateUpdate): void {
    if (['PENDING', 'QUEUED', 'BLOCKED'].includes(run.lifeCycleState) && !['PENDING', 'QUEUED', 'BLOCKED'].includes(update.lifeCycleState)) run.startTime = run.startTime || now();
    run.lifeCycleState = update.lifeCycleState;
    run.queueReason = update.lifeCycleState === 'QUEUED' ? update.queueReason ?? { code: 'ACTIVE_RUNS_LIMIT_REACHED', message: 'Queued due to reaching the workspace limit of active task runs.' } : undefined;
    run.resultState = update.resultState;
    run.stateMessage = update.stateMessage ?? '';
    if (TERMINAL.has(update.lifeCycleState) && run.endTime === 0) run.endTime = now();
    if (update.error !== undefined) run.error = update.error;
    if (update.errorTrace !== undefined) run.errorTrace = update.errorTrace;
    if (update.notebookResult !== undefined) run.notebookResult = update.notebookResult;
  }

  return {
    host,
    token,
    warehouseId,
    principal,
    requests,
    runs: () => [...runs.values()],
    setRunState: (runId, update) => applyState(requireRun(runId), update),
    advanceRuns: (outcome) => {
      for (const run of runs.values()) {
        if (['PENDING', 'QUEUED', 'BLOCKED'].includes(run.lifeCycleState)) applyState(run, { lifeCycleState: 'RUNNING', stateMessage: 'In run' });
        else if (run.lifeCycleState === 'RUNNING') {
          applyState(run, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '', ...outcome });
        } else if (run.lifeCycleState === 'TERMINATING') applyState(run, { lifeCycleState: 'TERMINATED', resultState: 'CANCELED', stateMessage: 'Canceled' });
      }
    },
    injectFaults: (fault) => {
      faults.push({ ...fault });
    },
    failStatements: (pattern, message) => {
      statementFailures.push({ pattern, message });
    },
    putWorkspaceObject: (path, language, content) => {
      mkdirs(path.slice(0, path.lastIndexOf('/')));
      objects.set(path, { language, content });
    },
    workspaceObject: (path) => objects.get(path),
    tables: () => [...metastore.tables.values()].map((t) => ({ ...t })),
    putTable: (table) => {
      metastore.schemas.add(table.schema);
      metastore.tables.set(`${table.schema}.${table.table}`, { ...table });
    },
    statements: () => [...statementLog],
    ...(unityCatalog ? { unityCatalog } : {}),
    startRunAs: (creator, runName) => {
      const runId = nextRunId++;
      const run: FakeRun = { runId, creator, taskRunId: runId + 500_000, runName, submitted: { run_name: runName, tasks: [{ task_key: 'x' }] }, lifeCycleState: 'RUNNING', stateMessage: '', startTime: now(), endTime: 0 };
      runs.set(runId, run);
      runsByTask.set(run.taskRunId, run);
      return runId;
    },
    createJobAs: (creator) => {
      const jobId = nextJobId++;
      jobs.set(jobId, { jobId, creator });
      return jobId;
    },
    jobs: () => [...jobs.values()],
    runAs: (runId) => {
      const runAs = requireRun(runId).submitted.run_as as { service_principal_name?: string; user_name?: string } | undefined;
      return runAs?.service_principal_name ?? runAs?.user_name ?? principal;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
