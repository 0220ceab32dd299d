/**
 * The production execution engine: approved notebooks run as one-time Databricks job runs on a job cluster of the
 * chosen size's policy; registered datasets are external tables on the clean room SQL warehouse.
 */
import type { DatasetRef, ExecutionEngine, RunAccess, RunIsolation, RunSpec, RunStatus, SubmitOptions } from '../engine';
import { DatabricksClient, type DatabricksClientOptions } from './databricks-client';
import { DatasetSynchronizer } from './dataset-sync';
import { DatabricksApiError, DatabricksInputError } from './errors';
import { AccessNotCurrentError, RunNotFoundError } from '../errors';
import { needsErrorOutput, outputRunId, toRunStatus, type JobsRun, type JobsRunOutput } from './run-state';
import { SqlStatementRunner } from './sql-statements';
import { codeParameters, runnerNotebookPath, runnerNotebookSource, runnerParameters } from './runner-task';
import { accessControlFor, buildSubmitRunBody, idempotencyToken, runAsFor, runName, type NotebookTask, type PolicyIdForCompute } from './submit-request';
import { callerIsWorkspaceAdmin, sweepPrincipal } from './principal-sweep';
import { releaseNotebookPath, releaseNotebookSource, releaseWidgetValue, RELEASE_WIDGET, type ReleaseNotebookRequest } from './release-task';
import { DEFAULT_WORKSPACE_ROOT, notebookPath, sqlFilePath, WorkspaceNotebooks } from './workspace-notebooks';
import { assertDataset } from './identifiers';
import { assertRunAccess, RunAccessGrants, stagingVolumePath } from './run-access';

/**
 * The client's options (workspace host, token, HTTP timeouts, retries and injectables; the token is never logged,
 * never in an error) plus what the engine itself needs.
 */
export interface DatabricksEngineOptions extends DatabricksClientOptions {
  /** The clean room SQL warehouse that holds `<participant>.<table>`. */
  warehouseId: string;
  /** Cluster policy id per compute size (as declared by the stack). */
  policyIdForCompute: PolicyIdForCompute;
  sparkVersion?: string;
  nodeTypeId?: string;
  /** e.g. "SINGLE_USER" (Unity Catalog); omitted when unset so the policy decides. */
  dataSecurityMode?: string;
  /** A run's time limit, for every compute size or per size (config `run_timeout_minutes`); unset: none. */
  runTimeoutSeconds?: number | ((size: string) => number | undefined);
  /** Where approved code is imported: `<root>/code/<participant>/<name>/<hash>`. Default /Cleanroom. */
  workspaceRoot?: string;
  /**
   * The clean room's catalog: datasets are `<catalog>.<participant>.<table>`, every run's default catalog (so code
   * writes `<participant>.<table>`), and SQL runs need it. The warehouse default is used only for dataset statements
   * when unset.
   */
  catalog?: string;
  /**
   * The runtime's principal (service principal application id or user email): the only one given access to runs.
   * Unset: the identity of the token, asked once (SCIM `Me`).
   */
  runtimePrincipal?: string;
  /**
   * The pool of job principals (application ids): each run executes as one it holds alone (RunSpec.access, handed
   * out by the runtime), granted for that run only SELECT on the tables it reads and write access to its own staging
   * volume, revoked when it ends; needs `catalog`. The runtime's principal needs the servicePrincipal/user role on
   * each. Unset: code runs as the runtime's principal (no separation; only for a workspace of one's own).
   */
  jobPrincipals?: readonly string[];
  /** The compute size whose cluster policy release runs use (default: the smallest, 2X-Small). */
  releaseCompute?: string;
  /** Every participant of the clean room, so a schema whose datasets were all deleted is emptied too. */
  participants?: readonly string[];
  /** SQL statement polling (defaults: 1 s interval, 10 min max). */
  statementPollIntervalMs?: number;
  statementMaxWaitMs?: number;
}

const RUN_ID = /^\d{1,20}$/;

export class DatabricksEngine implements ExecutionEngine {
  readonly name = 'databricks' as const;
  private readonly client: DatabricksClient;
  private readonly notebooks: WorkspaceNotebooks;
  private readonly datasets: DatasetSynchronizer;
  private readonly workspaceRoot: string;
  private principal?: Promise<string>;
  /** Known once true: a runtime found to be a workspace admin is not asked again (SCIM Me) at every revoke. */
  private admin = false;
  private readonly grants?: RunAccessGrants;
  readonly isolation?: RunIsolation;

  constructor(private readonly options: DatabricksEngineOptions) {
    this.client = new DatabricksClient(options); // reads only its own options
    this.workspaceRoot = options.workspaceRoot ?? DEFAULT_WORKSPACE_ROOT;
    this.notebooks = new WorkspaceNotebooks(this.client, this.workspaceRoot);
    const sql = new SqlStatementRunner(this.client, {
      warehouseId: options.warehouseId,
      catalog: options.catalog,
      waitTimeoutSeconds: statementWaitSeconds(options.requestTimeoutMs ?? 30_000),
      pollIntervalMs: options.statementPollIntervalMs,
      maxWaitMs: options.statementMaxWaitMs,
      sleep: options.sleep,
      now: options.now,
    });
    this.datasets = new DatasetSynchronizer(sql, options.participants ?? []);
    const pool = options.jobPrincipals ?? [];
    if (pool.length > 0) {
      if (options.catalog === undefined) throw new DatabricksInputError("job principals are granted in the clean room's catalog, and none is configured (databricks.catalog)");
      const grants = new RunAccessGrants(this.client, options.catalog);
      this.grants = grants;
      this.isolation = {
        jobPrincipals: [...pool],
        revokeRunAccess: async (access, unseenRun) => {
          assertRunAccess(access);
          await grants.revoke(access);
          // Grants go first: whatever still acts as the principal loses them at once, then is found and stopped.
          const caller = { isAdmin: () => this.runtimeIsAdmin(), principal: () => this.runtimePrincipal() };
          await sweepPrincipal(this.client, access.principal, caller, unseenRun ? runName(unseenRun.participant, unseenRun.jobName) : undefined);
        },
      };
    }
  }

  async syncDatasets(datasets: DatasetRef[]): Promise<void> {
    await this.datasets.sync(datasets);
  }

  /**
   * Imports what the run needs (SQL: the runner notebook and the approved SQL as a workspace file; other languages:
   * the approved notebook), makes sure the datasets are in place, and submits a one-time run whose idempotency token
   * is the job's event uuid: a retried submit returns the run already started.
   */
  async submit(input: RunSpec, options: SubmitOptions = {}): Promise<{ runId: string }> {
    // Everything participant-controlled is validated before the first request.
    const access = this.accessOf(input);
    // A run sees only the datasets its principal is granted.
    const spec = access === undefined ? input : { ...input, datasets: input.datasets.filter((d) => access.reads.includes(`${d.participant}.${d.table}`)) };
    const task = this.taskFor(spec, access);
    const body = buildSubmitRunBody(spec, task, this.options);
    if (this.options.runtimePrincipal !== undefined) accessControlFor({ principal: this.options.runtimePrincipal });
    // Participant code never runs as the runtime's principal when a job principal is declared.
    if (access !== undefined) body.run_as = runAsFor(access.principal);
    spec.datasets.forEach(assertDataset);
    if (spec.code.language === 'SQL') {
      await this.notebooks.ensureSqlFile(spec.code);
      await this.notebooks.ensureAt(task.notebookPath, { kind: 'notebook', language: 'PYTHON', content: runnerNotebookSource() });
    } else {
      await this.notebooks.ensure(spec.code);
    }
    // The run's own datasets only, and nothing dropped: other runs may be reading other tables.
    await this.datasets.ensure(spec.datasets);
    // Granted after the tables exist, before the run exists: the run never holds more than this.
    if (access !== undefined) {
      // Asked at the last moment: a pass that spent long on imports and tables may have been overtaken meanwhile.
      if (options.confirmAccess && !(await options.confirmAccess())) {
        throw new AccessNotCurrentError(`job ${spec.jobId}: its job principal ${access.principal} is no longer its own in the newest state; nothing granted, nothing started`);
      }
      try {
        await this.grants!.grant({ ...access, reads: access.reads.filter((name) => spec.datasets.some((d) => `${d.participant}.${d.table}` === name)) });
      } catch (error) {
        // A table another runtime instance dropped since: the next attempt makes it again instead of trusting memory.
        if (error instanceof DatabricksApiError && error.status === 404) this.datasets.forget();
        throw error;
      }
    }
    const principal = await this.runtimePrincipal();
    // API-submitted runs otherwise take the notebook's permissions: https://docs.databricks.com/gcp/en/jobs/privileges
    body.access_control_list = [accessControlFor({ principal })];
    const response = await this.client.post<{ run_id?: number }>('/api/2.1/jobs/runs/submit', body);
    if (typeof response.run_id !== 'number') {
      throw new DatabricksApiError('Databricks runs/submit answered without a run_id', 200, undefined);
    }
    return { runId: String(response.run_id) };
  }

  /**
   * SQL runs through the runner notebook; Python, Scala and R notebooks get `output` and every parameter as widgets.
   * `output` is the run's result location (staging under the release gate): notebooks must write their result there.
   */
  private taskFor(spec: RunSpec, access: RunAccess | undefined): NotebookTask {
    // An isolated run writes through its own staging volume, the only place its principal may write.
    const output = access?.staging != null && this.options.catalog !== undefined ? stagingVolumePath(this.options.catalog, access.staging) : undefined;
    if (spec.code.language !== 'SQL') {
      return { notebookPath: notebookPath(this.workspaceRoot, spec.code), baseParameters: codeParameters(spec, output) };
    }
    if (this.options.catalog === undefined) {
      throw new DatabricksInputError("SQL code runs in the clean room's catalog, and none is configured (databricks.catalog)");
    }
    return {
      notebookPath: runnerNotebookPath(this.workspaceRoot),
      baseParameters: runnerParameters(spec, sqlFilePath(this.workspaceRoot, spec.code), this.options.catalog, output),
    };
  }

  /** The run's access when runs are isolated: required then, checked against the pool and the run's staging. */
  private accessOf(spec: RunSpec): RunAccess | undefined {
    if (this.isolation === undefined) return undefined;
    const access = spec.access;
    if (access === undefined) throw new DatabricksInputError(`job ${spec.jobId} has no job principal: on this engine every run executes as a job principal it holds alone`);
    assertRunAccess(access, this.isolation.jobPrincipals);
    if (access.staging !== (spec.stagingLocation ?? null)) {
      throw new DatabricksInputError(`job ${spec.jobId}: its access names staging ${String(access.staging)}, not its staging location ${String(spec.stagingLocation)}`);
    }
    return access;
  }

  /**
   * Starts (or finds, idempotently on the job) the release run of a job: the runtime's release notebook, submitted
   * as the runtime's own principal (no `run_as`), with the release request as its one widget. Returns its run id.
   */
  async submitRelease(jobId: string, request: ReleaseNotebookRequest): Promise<{ runId: string }> {
    if (this.options.catalog === undefined) {
      throw new DatabricksInputError("the release step reads datasets in the clean room's catalog, and none is configured (databricks.catalog)");
    }
    const path = releaseNotebookPath(this.workspaceRoot);
    const compute = this.options.releaseCompute ?? '2X-Small';
    const body = buildSubmitRunBody(
      { jobId: `release:${jobId}`, jobName: `release of job ${jobId}`, participant: 'cleanroom', parameters: {}, compute },
      { notebookPath: path, baseParameters: { [RELEASE_WIDGET]: releaseWidgetValue(request, this.options.catalog) } },
      this.options,
    );
    // Always the digest: a release token never equals the code run's token (the job id itself when it fits).
    body.idempotency_token = idempotencyToken(`release:${jobId}\u0000`);
    body.tasks[0].task_key = 'cleanroom_release';
    body.run_name = `cleanroom-release:${body.run_name.slice('cleanroom:cleanroom:release of job '.length)}`;
    await this.notebooks.ensureAt(path, { kind: 'notebook', language: 'PYTHON', content: releaseNotebookSource() });
    body.access_control_list = [accessControlFor({ principal: await this.runtimePrincipal() })];
    const response = await this.client.post<{ run_id?: number }>('/api/2.1/jobs/runs/submit', body);
    if (typeof response.run_id !== 'number') throw new DatabricksApiError('Databricks runs/submit answered without a run_id', 200, undefined);
    return { runId: String(response.run_id) };
  }

  /** A release run's status and, once it ended SUCCESS, its notebook's exit value (runs/get-output). */
  async getReleaseRun(runId: string): Promise<{ status: RunStatus; exitValue?: string; truncated?: boolean }> {
    const status = await this.getRun(runId);
    if (status.lifeCycleState !== 'TERMINATED' || status.resultState !== 'SUCCESS') return { status };
    const run = await this.client.get<JobsRun>('/api/2.1/jobs/runs/get', { run_id: runId });
    const output = await this.client.get<JobsRunOutput>('/api/2.1/jobs/runs/get-output', { run_id: outputRunId(run) });
    const notebook = output.notebook_output;
    return { status, ...(typeof notebook?.result === 'string' ? { exitValue: notebook.result } : {}), ...(notebook?.truncated === true ? { truncated: true } : {}) };
  }

  /** Whether the runtime's principal is a workspace admin; a "no" is asked again, since it is mended by an operator. */
  private async runtimeIsAdmin(): Promise<boolean> {
    this.admin ||= await callerIsWorkspaceAdmin(this.client);
    return this.admin;
  }

  /** The configured runtime principal, else who the token belongs to (asked once per engine). */
  private runtimePrincipal(): Promise<string> {
    if (this.options.runtimePrincipal !== undefined) return Promise.resolve(this.options.runtimePrincipal);
    this.principal ??= this.client.get<{ userName?: unknown }>('/api/2.0/preview/scim/v2/Me').then((me) => {
      if (typeof me.userName !== 'string' || me.userName === '') {
        throw new DatabricksApiError('Databricks SCIM Me answered without a userName', 200, undefined);
      }
      return me.userName;
    });
    this.principal.catch(() => {
      this.principal = undefined;
    });
    return this.principal;
  }

  /** Throws EngineUnavailableError on an outage; the caller keeps the last known state (never FAILED). */
  async getRun(runId: string): Promise<RunStatus> {
    if (!RUN_ID.test(runId)) throw new DatabricksInputError(`Run id ${JSON.stringify(runId)} is not a Databricks run id`);
    let run: JobsRun;
    try {
      run = await this.client.get<JobsRun>('/api/2.1/jobs/runs/get', { run_id: runId });
    } catch (error) {
      if (error instanceof DatabricksApiError && isRunNotFound(error)) throw new RunNotFoundError(runId, `Databricks does not know run ${runId}: ${error.message}`);
      throw error;
    }
    if (!needsErrorOutput(run)) return toRunStatus(run);
    let output: JobsRunOutput | undefined;
    try {
      output = await this.client.get<JobsRunOutput>('/api/2.1/jobs/runs/get-output', { run_id: outputRunId(run) });
    } catch (error) {
      // A definitive refusal (e.g. output expired) still leaves a meaningful status; outages propagate.
      if (!(error instanceof DatabricksApiError)) throw error;
      output = { error: `error output unavailable: ${error.message}` };
    }
    return toRunStatus(run, output);
  }
}

/**
 * Databricks' answers for a run it does not have (never existed, or past its run history retention): 404 /
 * RESOURCE_DOES_NOT_EXIST, or 400 INVALID_PARAMETER_VALUE "Run <id> does not exist." on jobs 2.1.
 */
function isRunNotFound(error: DatabricksApiError): boolean {
  if (error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return true;
  return error.errorCode === 'INVALID_PARAMETER_VALUE' && /\bdoes not exist\b/i.test(error.message);
}

/** The statement POST blocks up to wait_timeout: keep it under a third of the request timeout, else go async (0). */
function statementWaitSeconds(requestTimeoutMs: number): number {
  const seconds = Math.min(10, Math.floor(requestTimeoutMs / 3000));
  return seconds >= 5 ? seconds : 0;
}
