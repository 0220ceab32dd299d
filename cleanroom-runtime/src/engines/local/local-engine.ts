/**
 * The embedded engine: runs approved SQL in a per-run DuckDB sandbox on this machine and writes the final
 * query's result as a Delta table at the job's output location.
 *
 * Runs execute inside `submit` (the call returns when the run has ended), recorded durably before, during and
 * after, so a second submission of the same job returns the same run without running it again. A record left
 * PENDING/RUNNING by a process that has died is reported as INTERNAL_ERROR (FAILED) by `getRun`/`submit`,
 * never run again: a job has its effects at most once; the participant submits a new job to retry.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatasetRef, ExecutionEngine, RunSpec, RunStatus } from '../engine';
import { RunNotFoundError } from '../errors';
import type { DeltaBridge } from './delta-bridge';
import { loadDatasets, type LoadReport } from './dataset-loader';
import { parseGsLocation } from './gs-paths';
import { resultToDelta } from './result-to-delta';
import { RunFailure, scrubHostPaths } from './run-failure';
import { RunRecordStore, runIdFor, toRunStatus, type RunOwner, type RunRecord } from './run-records';
import { DEFAULT_LIMITS, Sandbox, type SandboxLimits } from './sandbox';
import { runSql } from './sql-runner';
import { ObjectStoreDeltaBridge } from './object-store-delta-bridge';

export interface LocalEngineLimits extends SandboxLimits {
  /** A run's SQL is interrupted after this long. */
  timeoutMs: number;
}

export interface LocalEngineOptions {
  /** Local mode root: gs://<bucket>/<key> is `<localRoot>/gs/<bucket>/<key>`. */
  localRoot: string;
  now?: () => Date;
  /** Where run records and logs go; default `<localRoot>/engine`. */
  stateDir?: string;
  limits?: Partial<LocalEngineLimits>;
  /** Delta reads/writes; default: src/delta over the local object store. */
  delta?: DeltaBridge;
}

export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

export class LocalEngine implements ExecutionEngine {
  readonly name = 'local' as const;
  private readonly localRoot: string;
  private readonly now: () => Date;
  private readonly records: RunRecordStore;
  private readonly limits: LocalEngineLimits;
  private readonly delta: DeltaBridge;
  private readonly owner: RunOwner = { pid: process.pid, hostname: os.hostname(), token: randomUUID() };
  private readonly inFlight = new Set<string>();
  private syncedDatasets: DatasetRef[] = [];

  constructor(options: LocalEngineOptions) {
    this.localRoot = path.resolve(options.localRoot);
    this.now = options.now ?? (() => new Date());
    this.records = new RunRecordStore(options.stateDir ?? path.join(this.localRoot, 'engine'));
    this.limits = { ...DEFAULT_LIMITS, timeoutMs: DEFAULT_TIMEOUT_MS, ...options.limits };
    this.delta = options.delta ?? new ObjectStoreDeltaBridge(this.localRoot);
  }

  /** Datasets are loaded per run from the RunSpec; this only remembers the list (see `datasets`). */
  async syncDatasets(datasets: DatasetRef[]): Promise<void> {
    this.syncedDatasets = datasets.map((d) => ({ ...d }));
  }

  /** The list last given to syncDatasets. */
  get datasets(): readonly DatasetRef[] {
    return this.syncedDatasets;
  }

  async submit(spec: RunSpec): Promise<{ runId: string }> {
    const runId = runIdFor(spec.jobId);
    const existing = await this.records.read(runId);
    if (existing) {
      await this.reconcile(existing);
      return { runId };
    }
    const record: RunRecord = {
      runId,
      jobId: spec.jobId,
      jobName: spec.jobName,
      participant: spec.participant,
      codeName: spec.code.name,
      codeHash: spec.code.hash,
      lifeCycleState: 'PENDING',
      submittedAt: this.now().toISOString(),
      runPageUrl: this.records.logUrl(runId),
      owner: this.owner,
    };
    if (!(await this.records.claim(record))) return { runId };
    this.inFlight.add(runId);
    try {
      await this.execute(spec, record);
    } finally {
      this.inFlight.delete(runId);
    }
    return { runId };
  }

  async getRun(runId: string): Promise<RunStatus> {
    const record = await this.records.read(runId);
    if (!record) throw new RunNotFoundError(runId, `the local engine has no run ${runId} (looked in ${this.records.dir})`);
    return toRunStatus(await this.reconcile(record));
  }

  private async execute(spec: RunSpec, pending: RunRecord): Promise<void> {
    let record: RunRecord = { ...pending, lifeCycleState: 'RUNNING', startTime: this.now().toISOString() };
    await this.records.replace(record);
    const log = (line: string) => this.records.appendLog(record.runId, this.now(), scrubHostPaths(line, this.localRoot));
    await log(`run ${record.runId} of job ${spec.jobName} (${spec.jobId}) by ${spec.participant}: code ${spec.code.name} ${spec.code.hash}`);
    try {
      const rows = await this.runCode(spec, log);
      record = { ...record, lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '', output: { location: spec.outputLocation, rows } };
      await log(`SUCCESS: wrote ${rows} rows to ${spec.outputLocation}`);
    } catch (error) {
      const failure = error instanceof RunFailure ? error : new RunFailure(`internal error in the local engine: ${messageOf(error)}`, stackOf(error));
      const message = scrubHostPaths(failure.message, this.localRoot);
      const trace = scrubHostPaths(failure.trace ?? failure.stack ?? failure.message, this.localRoot);
      record = { ...record, lifeCycleState: 'TERMINATED', resultState: 'FAILED', stateMessage: message, error: message, errorTrace: trace };
      await log(`FAILED: ${message}`);
    }
    record.endTime = this.now().toISOString();
    await this.records.replace(record);
  }

  /** Runs the code and writes its result; returns the number of rows written. */
  private async runCode(spec: RunSpec, log: (line: string) => Promise<void>): Promise<number> {
    if (spec.code.language !== 'SQL') {
      throw new RunFailure(
        `${spec.code.language} code needs the Databricks engine: the local engine runs SQL only. ` +
          `Run this clean room with the Databricks engine to use ${spec.code.language} notebooks, or rewrite ${spec.code.name} in SQL`,
      );
    }
    const output = parseGsLocation(spec.outputLocation);
    const sandbox = await Sandbox.open(this.limits);
    try {
      const report = await loadDatasets(sandbox.connection, spec.datasets, { localRoot: this.localRoot, delta: this.delta });
      await log(`loaded ${report.loaded.length} datasets: ${report.loaded.join(', ') || 'none'}`);
      for (const reason of report.failures.values()) await log(`not loaded: ${reason}`);
      await sandbox.lock();
      await log('sandbox locked: no file, network, extension or settings access');
      const reader = await runSql(sandbox.connection, spec.code.content, {
        timeoutMs: this.limits.timeoutMs,
        parameters: spec.parameters,
        onStatement: (index, count, kind) => void log(`statement ${index}/${count}: ${kind}`).catch(() => undefined),
      }).catch((error: unknown) => {
        throw explainMissingDataset(error, report);
      });
      const { schema, rows } = resultToDelta(reader);
      await this.delta.overwrite(output, schema, rows);
      return rows.length;
    } finally {
      sandbox.close();
    }
  }

  /** Marks a run whose process died before it ended as failed (never re-runs it). */
  private async reconcile(record: RunRecord): Promise<RunRecord> {
    if (record.lifeCycleState === 'TERMINATED' || record.lifeCycleState === 'INTERNAL_ERROR') return record;
    if (!this.ownerIsGone(record.owner, record.runId)) return record;
    const message =
      `the local engine process (pid ${record.owner.pid} on ${record.owner.hostname}) stopped before run ${record.runId} ended; ` +
      'it is not run again automatically, so its output may be missing: submit the job again to retry';
    const failed: RunRecord = {
      ...record,
      lifeCycleState: 'INTERNAL_ERROR',
      resultState: 'FAILED',
      stateMessage: message,
      error: message,
      errorTrace: message,
      endTime: this.now().toISOString(),
    };
    await this.records.replace(failed);
    await this.records.appendLog(record.runId, this.now(), `INTERNAL_ERROR: ${message}`);
    return failed;
  }

  private ownerIsGone(owner: RunOwner, runId: string): boolean {
    if (owner.token === this.owner.token) return !this.inFlight.has(runId);
    if (owner.hostname !== this.owner.hostname) return false; // another machine: cannot tell, report as is
    return !processIsAlive(owner.pid);
  }
}

/** A query on a dataset that failed to load says why, instead of only "table does not exist". */
function explainMissingDataset(error: unknown, report: LoadReport): unknown {
  if (!(error instanceof RunFailure) || !/does not exist/i.test(error.message)) return error;
  const reasons = [...report.failures.entries()]
    .filter(([name]) => error.message.includes(name.split('.')[1]))
    .map(([, reason]) => reason);
  return reasons.length === 0 ? error : new RunFailure(`${error.message}\n${reasons.join('\n')}`, error.stack);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}


