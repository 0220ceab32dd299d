/**
 * The embedded engine: runs approved SQL in a per-run DuckDB sandbox on this machine and writes the final
 * query's result as a Delta table at the job's output location.
 *
 * Each run is its own process (job-worker.ts) with a time limit, a memory limit and a limit on the rows of the
 * result, so a runaway job ends FAILED (or TIMEDOUT) instead of holding or crashing the runtime: `submit` returns
 * as soon as the worker has taken the run, and the runtime keeps deciding events while it runs. Runs are recorded
 * durably (claimed once, so a second submission of the same job returns the same run without running it again).
 * A run whose worker died before recording its end (out of memory, killed) is reported FAILED by `getRun`, never
 * run again: a job has its effects at most once; the participant submits a new job to retry.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DatasetRef, ExecutionEngine, RunSpec, RunStatus } from '../engine';
import { RunNotFoundError } from '../errors';
import { DEFAULT_LIMITS, type Limits } from '../../limits';
import { KILL_GRACE_MS, localEngineLimits, type LocalEngineLimits } from './limits';
import { writeRunFile } from './run-file';
import { RunRecordStore, runIdFor, toRunStatus, type RunOwner, type RunRecord } from './run-records';
import { launchWorker } from './worker-launcher';
import { processIsAlive } from './process-alive';

export type { LocalEngineLimits } from './limits';

export interface LocalEngineOptions {
  /** Local mode root: gs://<bucket>/<key> is `<localRoot>/gs/<bucket>/<key>`. */
  localRoot: string;
  /** Injected clock (tests): read once per submission, and the run's worker uses that time throughout. */
  now?: () => Date;
  /** Where run records and logs go; default `<localRoot>/engine`. */
  stateDir?: string;
  /** The clean room's limits (cleanroom.yaml `limits:`): a run's time, memory and result rows, and the bounds on reading participants' buckets. */
  cleanroomLimits?: Limits;
  /** Overrides of a run's limits (tests). */
  limits?: Partial<LocalEngineLimits>;
  /**
   * Resolve `submit` only when the run has ended (it still runs in its own process, with its limits). For
   * scripted rehearsals and tests that read a run's result right after the pass that submitted it.
   */
  waitForRuns?: boolean;
}


export class LocalEngine implements ExecutionEngine {
  readonly name = 'local' as const;
  /** Local mode root (absolute): the runtime's local release step reads and writes the same folders. */
  readonly localRoot: string;
  private readonly now: () => Date;
  private readonly injectedClock: boolean;
  private readonly stateDir: string;
  private readonly records: RunRecordStore;
  private readonly limits: LocalEngineLimits;
  private readonly readLimits: Limits;
  private readonly owner: RunOwner = { pid: process.pid, hostname: os.hostname(), token: randomUUID() };
  private readonly waitForRuns: boolean;
  /** Runs this process is starting (claimed, worker not yet in charge): not reported as abandoned. */
  private readonly starting = new Set<string>();
  private syncedDatasets: DatasetRef[] = [];

  constructor(options: LocalEngineOptions) {
    this.localRoot = path.resolve(options.localRoot);
    this.now = options.now ?? (() => new Date());
    this.injectedClock = options.now !== undefined;
    this.stateDir = options.stateDir ?? path.join(this.localRoot, 'engine');
    this.records = new RunRecordStore(this.stateDir);
    this.readLimits = options.cleanroomLimits ?? DEFAULT_LIMITS;
    this.limits = { ...localEngineLimits(this.readLimits), ...options.limits };
    this.waitForRuns = options.waitForRuns === true;
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
    this.starting.add(runId);
    try {
      const runFile = await writeRunFile(this.records.dir, {
        runId,
        stateDir: this.stateDir,
        localRoot: this.localRoot,
        spec,
        limits: this.limits,
        readLimits: this.readLimits,
        ...(this.injectedClock ? { fixedNow: this.now().getTime() } : {}),
      });
      const worker = await launchWorker(runFile, this.records.logPath(runId), this.limits.workerHeapMb);
      // While this process lives, a worker that dies without recording its end is closed at once, with the cause.
      const closed = worker.exited.then((exit) => this.recordWorkerExit(runId, exit)).catch(() => undefined);
      if (this.waitForRuns) await closed;
    } finally {
      this.starting.delete(runId);
    }
    return { runId };
  }

  async getRun(runId: string): Promise<RunStatus> {
    const record = await this.records.read(runId);
    if (!record) throw new RunNotFoundError(runId, `the local engine has no run ${runId} (looked in ${this.records.dir})`);
    return toRunStatus(await this.reconcile(record));
  }

  /**
   * Closes a run that can no longer end by itself: its worker died (out of memory, killed, machine restarted) or
   * outlived its time limit. Never runs it again.
   */
  private async reconcile(record: RunRecord): Promise<RunRecord> {
    if (record.lifeCycleState === 'TERMINATED' || record.lifeCycleState === 'INTERNAL_ERROR') return record;
    if (this.starting.has(record.runId)) return record;
    const overdue = record.startTime !== undefined && Date.now() - Date.parse(record.startTime) > this.limits.timeoutMs + KILL_GRACE_MS;
    if (overdue && !this.injectedClock && this.isLocalLiveProcess(record.owner)) {
      killProcess(record.owner.pid);
      return this.close(record, 'TIMEDOUT', `the run exceeded its time limit of ${this.limits.timeoutMs} ms and its worker process (pid ${record.owner.pid}) was killed`);
    }
    if (!this.ownerIsGone(record.owner)) return record;
    return this.close(
      record,
      'FAILED',
      `the process running ${record.runId} (pid ${record.owner.pid} on ${record.owner.hostname}) stopped before the run ended, ` +
        `e.g. over its memory limits (JavaScript heap ${this.limits.workerHeapMb} MiB, DuckDB ${this.limits.memoryLimit}) or killed; ` +
        'it is not run again automatically, so its output may be missing: submit the job again to retry',
    );
  }

  private async recordWorkerExit(runId: string, exit: { code: number | null; signal: NodeJS.Signals | null }): Promise<void> {
    const record = await this.records.read(runId);
    if (!record || record.lifeCycleState === 'TERMINATED' || record.lifeCycleState === 'INTERNAL_ERROR') return;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
    await this.close(
      record,
      'FAILED',
      `the run's worker process ${how} before the run ended, e.g. over its memory limits (JavaScript heap ${this.limits.workerHeapMb} MiB, ` +
        `DuckDB ${this.limits.memoryLimit}); see the run log; submit the job again to retry`,
    );
  }

  private async close(record: RunRecord, resultState: 'FAILED' | 'TIMEDOUT', message: string): Promise<RunRecord> {
    const closed: RunRecord = {
      ...record,
      lifeCycleState: resultState === 'TIMEDOUT' ? 'TERMINATED' : 'INTERNAL_ERROR',
      resultState,
      stateMessage: message,
      error: message,
      errorTrace: message,
      endTime: this.now().toISOString(),
    };
    await this.records.replace(closed);
    await this.records.appendLog(record.runId, this.now(), `${closed.lifeCycleState}: ${message}`);
    return closed;
  }

  private isLocalLiveProcess(owner: RunOwner): boolean {
    return owner.hostname === this.owner.hostname && processIsAlive(owner.pid);
  }

  private ownerIsGone(owner: RunOwner): boolean {
    if (owner.hostname !== this.owner.hostname) return false; // another machine: cannot tell, report as is
    if (owner.token === this.owner.token) return true; // claimed by this process, which is no longer starting it
    return !processIsAlive(owner.pid);
  }
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
