/**
 * The release step on Databricks: the runtime submits its own release notebook (engines/databricks/release-task.ts)
 * as its own principal once the code run ended SUCCESS; Spark does the checks and writes the released rows at the
 * output, or refuses; the outcome is the notebook's exit value. The step keeps no state between passes: the release
 * run's idempotency token is derived from the job, so each pass finds the same run until it ends. A release run that
 * does not end SUCCESS with a readable outcome is a refusal (nothing is taken as released without its outcome).
 */
import type { DatabricksEngine } from '../../engines/databricks/databricks-engine';
import { parseReleaseOutcome, type ReleaseNotebookRequest } from '../../engines/databricks/release-task';
import { EngineUnavailableError } from '../../engines/errors';
import { DEFAULT_LIMITS, type Limits } from '../../limits';
import type { ReleaseRecord } from '../../processor/state';
import { ReleaseUnavailableError, type ReleaseProgress, type ReleaseRequest, type ReleaseStep } from './release-step';

/** The two calls the step needs from the engine (DatabricksEngine has them). */
export type ReleaseRuns = Pick<DatabricksEngine, 'submitRelease' | 'getReleaseRun'>;

export class DatabricksReleaseStep implements ReleaseStep {
  readonly name = 'databricks' as const;

  constructor(private readonly runs: ReleaseRuns, private readonly limits: Limits = DEFAULT_LIMITS) {}

  async release(request: ReleaseRequest): Promise<ReleaseProgress> {
    let runId: string;
    let run: Awaited<ReturnType<ReleaseRuns['getReleaseRun']>>;
    try {
      ({ runId } = await this.runs.submitRelease(request.jobId, notebookRequest(request, this.limits)));
      run = await this.runs.getReleaseRun(runId);
    } catch (error) {
      // An outage decides nothing: the next pass asks again (the same release run, by its idempotency token).
      if (error instanceof EngineUnavailableError) throw new ReleaseUnavailableError(error.message);
      throw error;
    }
    const { status } = run;
    if (status.lifeCycleState === 'PENDING' || status.lifeCycleState === 'RUNNING' || status.lifeCycleState === 'TERMINATING') {
      return { done: false, note: `release run ${runId} is ${status.lifeCycleState.toLowerCase()}` };
    }
    if (status.resultState !== 'SUCCESS') {
      const why = status.error ?? status.stateMessage ?? status.resultState ?? status.lifeCycleState;
      return refused(`not released: the release run ${runId} ended ${status.resultState ?? status.lifeCycleState} (${why.slice(0, 500)}); submit the job again`);
    }
    const outcome = run.exitValue === undefined || run.truncated ? null : parseReleaseOutcome(run.exitValue);
    if (outcome === null) return refused(`not released: the release run ${runId} ended without a readable outcome; submit the job again`);
    const record: ReleaseRecord = { state: outcome.state, rowsSuppressed: outcome.rows_suppressed, rowsReleased: outcome.rows_released, message: outcome.message };
    return { done: true, outcome: record };
  }
}

function refused(message: string): ReleaseProgress {
  return { done: true, outcome: { state: 'REFUSED', rowsSuppressed: 0, rowsReleased: 0, message } };
}

/** The notebook's request: the run's staging and output, the policy with its sources, the identifier datasets. */
export function notebookRequest(request: ReleaseRequest, limits: Limits): ReleaseNotebookRequest {
  const bound = (b: { value: number; setBy: readonly string[] } | null) => (b === null ? null : { value: b.value, set_by: [...b.setBy] });
  return {
    staging: request.stagingLocation,
    output: request.outputLocation,
    max_staged_rows: limits.localRunResultRows,
    group_size_column: request.groupSizeColumn,
    policy: {
      identifiers: request.policy.identifiers.map((i) => ({ dataset: i.dataset, column: i.column })),
      min_group_size: bound(request.policy.minGroupSize),
      max_output_rows: bound(request.policy.maxOutputRows),
    },
    identifier_datasets: request.identifierDatasets.map((d) => ({ name: `${d.participant}.${d.table}`, version: d.version ?? null })),
  };
}
