/** Maps Jobs API 2.1 `runs/get` (+ `runs/get-output`) responses to the engine's RunStatus. Pure. */
import type { LifeCycleState, ResultState, RunStatus } from '../engine';

/**
 * The parts of a Jobs API 2.1 Run this engine reads: `state` (life_cycle_state, result_state; deprecated) and
 * `status` (state BLOCKED | PENDING | QUEUED | RUNNING | TERMINATING | TERMINATED, with termination_details and
 * queue_details), https://docs.databricks.com/api/gcp/workspace/jobs/getrun. `status` is preferred when present.
 */
export interface JobsRun {
  run_id: number;
  state?: { life_cycle_state?: string; result_state?: string; state_message?: string };
  status?: {
    state?: string;
    termination_details?: { code?: string; type?: string; message?: string };
    queue_details?: { code?: string; message?: string };
  };
  start_time?: number;
  end_time?: number;
  run_page_url?: string;
  tasks?: Array<{ run_id: number; task_key?: string }>;
}

export interface JobsRunOutput {
  error?: string;
  error_trace?: string;
  /** The value the notebook passed to dbutils.notebook.exit() (first 5 MB), https://docs.databricks.com/api/workspace/jobs/getrunoutput */
  notebook_output?: { result?: string; truncated?: boolean };
}

const LIFE_CYCLE: Record<string, LifeCycleState> = {
  PENDING: 'PENDING',
  QUEUED: 'PENDING',
  BLOCKED: 'PENDING',
  WAITING_FOR_RETRY: 'PENDING',
  // status.state of a run intentionally delayed: it has not run yet.
  WAITING: 'PENDING',
  RUNNING: 'RUNNING',
  TERMINATING: 'TERMINATING',
  TERMINATED: 'TERMINATED',
  SKIPPED: 'SKIPPED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
};

const RESULT: Record<string, ResultState> = {
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  TIMEDOUT: 'TIMEDOUT',
  CANCELED: 'CANCELED',
  // Single-task runs: these newer result states all mean "did not produce its result".
  SUCCESS_WITH_FAILURES: 'FAILED',
  UPSTREAM_FAILED: 'FAILED',
  MAXIMUM_CONCURRENT_RUNS_REACHED: 'FAILED',
  UPSTREAM_CANCELED: 'CANCELED',
  EXCLUDED: 'CANCELED',
  DISABLED: 'CANCELED',
};

/** Error traces can be megabytes; control tables keep a readable head. */
export const MAX_ERROR_TRACE_CHARS = 32_000;

function epochMs(value: number | undefined): Date | undefined {
  return typeof value === 'number' && value > 0 ? new Date(value) : undefined;
}

/** `status.termination_details.code` → result state, for a run answered without the deprecated `state`. */
const TERMINATION_RESULT: Record<string, ResultState> = {
  SUCCESS: 'SUCCESS',
  CANCELED: 'CANCELED',
  USER_CANCELED: 'CANCELED',
  SKIPPED: 'CANCELED',
};

/** The status's own life cycle; a queued or blocked run has not started yet (PENDING, with the reason as message). */
function statusLifeCycle(run: JobsRun): { life: string; message?: string } | undefined {
  const state = run.status?.state;
  if (state === undefined) return undefined;
  if (state === 'QUEUED' || state === 'BLOCKED') {
    const why = run.status?.queue_details?.message ?? run.status?.queue_details?.code;
    return { life: state, message: `${state.toLowerCase()}${why ? `: ${why}` : ''}` };
  }
  const termination = run.status?.termination_details;
  // The deprecated field is the more precise one for ended runs; without it, the termination details say.
  const life = run.state?.life_cycle_state ?? (state !== 'TERMINATED' ? state
    : termination?.type === 'INTERNAL_ERROR' ? 'INTERNAL_ERROR' : termination?.code === 'SKIPPED' ? 'SKIPPED' : state);
  return { life, message: termination?.message };
}

export function toRunStatus(run: JobsRun, output?: JobsRunOutput): RunStatus {
  const fromStatus = statusLifeCycle(run);
  const rawLife = fromStatus?.life ?? run.state?.life_cycle_state ?? 'PENDING';
  const terminationCode = run.status?.termination_details?.code;
  const rawResult = run.state?.result_state ??
    (rawLife === 'TERMINATED' && terminationCode !== undefined ? TERMINATION_RESULT[terminationCode] ?? 'FAILED' : undefined);
  const lifeCycleState = LIFE_CYCLE[rawLife] ?? 'INTERNAL_ERROR';
  const unknownNote = LIFE_CYCLE[rawLife] ? '' : ` (unknown Databricks life cycle state ${rawLife})`;
  const status: RunStatus = { runId: String(run.run_id), lifeCycleState, ...(LIFE_CYCLE[rawLife] ? {} : { unknownState: rawLife.slice(0, 100) }) };
  const resultState = rawResult === undefined ? undefined : RESULT[rawResult] ?? 'FAILED';
  if (resultState) status.resultState = resultState;
  const message = (run.state?.state_message || fromStatus?.message || '') + unknownNote;
  if (message !== '') status.stateMessage = message;
  const start = epochMs(run.start_time);
  if (start) status.startTime = start;
  const end = epochMs(run.end_time);
  if (end) status.endTime = end;
  if (run.run_page_url) status.runPageUrl = run.run_page_url;
  if (output?.error) status.error = output.error;
  if (output?.error_trace) status.errorTrace = output.error_trace.slice(0, MAX_ERROR_TRACE_CHARS);
  return status;
}

/** Runs that ended badly get their task's output fetched for `error` and `error_trace`. */
export function needsErrorOutput(run: JobsRun): boolean {
  const status = toRunStatus(run);
  return status.lifeCycleState === 'INTERNAL_ERROR' || (status.resultState !== undefined && status.resultState !== 'SUCCESS');
}

/** get-output takes a task run id; a one-task run submitted with `tasks` has it in tasks[0]. */
export function outputRunId(run: JobsRun): number {
  return run.tasks && run.tasks.length > 0 ? run.tasks[0].run_id : run.run_id;
}

const ACTIVE: ReadonlySet<LifeCycleState> = new Set(['PENDING', 'RUNNING', 'TERMINATING']);

/** Poll runs that are active, or ended within the retention window; older ones are left alone. */
export function shouldPollRun(
  run: Pick<RunStatus, 'lifeCycleState' | 'endTime'>,
  now: Date,
  retentionDays: number,
): boolean {
  if (ACTIVE.has(run.lifeCycleState)) return true;
  if (!run.endTime) return true;
  return now.getTime() - run.endTime.getTime() <= retentionDays * 86_400_000;
}
