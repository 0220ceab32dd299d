/**
 * After a run on Databricks the runtime checks that every Delta dataset it read is still at the version checked
 * before the submission (`inputVersions`), its newest commit unchanged (the generation and size that check
 * remembered): a Python, Scala or R notebook reads each table as it is when it runs, and the SQL runner pins versions
 * by number only (the local engine reads through the runtime's own time travel). A run whose inputs changed while it
 * ran fails, saying which, and must be submitted again. One list call per input; a storage failure decides nothing
 * (the check is retried next pass).
 */
import type { RunStatus } from '../engines/engine';
import type { CleanroomState, JobRecord, RunRecord } from '../processor/state';
import { recordOf } from '../processor/state';
import { parseGsUri } from '../storage/location';
import type { ObjectStore } from '../storage/object-store';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import { markOf } from './delta-log-mark';
import { withTimeBudget, type BudgetTimer } from './participant-io';
import { OutputCheckUnavailableError } from './run-output';

/**
 * True when the runtime checks this run's inputs after it: every run on Databricks. Notebooks read tables as they are
 * (unpinned); the SQL runner pins versions by number, which a commit rewritten in place under the same version
 * escapes. Local runs read through the runtime's own time travel.
 */
export function inputsCheckedAfterRun(run: RunRecord): boolean {
  return run.engine === 'databricks';
}

/** The inputs whose table has a newer commit than the version checked before the run (or lost that commit). */
export async function changedInputs(store: ObjectStore, state: CleanroomState, inputVersions: Readonly<Record<string, number>>, limits: Limits = DEFAULT_LIMITS, timer?: BudgetTimer): Promise<string[]> {
  const changed: string[] = [];
  for (const [name, version] of Object.entries(inputVersions).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const dataset = recordOf(state.datasets, name);
    if (!dataset) continue; // deleted since: nothing left to compare
    const { bucket, key } = parseGsUri(dataset.location);
    const what = `checking whether ${name} changed during the run`;
    try {
      // The owner's bucket may hang: the list call gets the participant's time budget like every read of it.
      const mark = await withTimeBudget(store, limits.participantReadTimeoutMs, what, (budgeted) => markOf(budgeted, bucket, key.replace(/\/+$/, ''), version), timer);
      // The check before the submission remembered that commit's generation and size: a commit rewritten in place
      // under the same version is a change too.
      const checked = recordOf(state.datasetChecks ?? {}, dataset.location)?.mark;
      const rewritten = mark !== undefined && checked !== undefined && checked.version === version && (checked.generation !== mark.generation || checked.size !== mark.size);
      if (mark === undefined || rewritten) changed.push(name);
    } catch (error) {
      throw new OutputCheckUnavailableError(`${what} failed: ${(error as Error).message}`);
    }
  }
  return changed;
}

/** A SUCCESS whose inputs changed becomes FAILED, naming them. */
export function withInputsChecked(status: RunStatus, changed: readonly string[], job: Pick<JobRecord, 'language'>): RunStatus {
  if (changed.length === 0) return status;
  const how = job.language === 'SQL' ? 'a version the run read was rewritten in place' : 'the run read them unpinned (a notebook on Databricks)';
  const message = `datasets changed while the job ran: ${changed.join(', ')}; ${how}, so its result is not released: submit the job again`;
  return { ...status, resultState: 'FAILED', stateMessage: message, error: message };
}
