/**
 * After a run ends SUCCESS, the runtime checks that its output holds a readable Delta table: both engines promise to
 * write the final result there (the local engine and the Databricks runner write it; a Python, Scala or R notebook
 * must), so a run that wrote nothing, or something that is not a Delta table, is recorded FAILED with a message
 * saying so. The read is bounded like every read of a participant's bucket; a storage failure decides nothing.
 */
import { DeltaTable } from '../delta/table';
import type { RunStatus } from '../engines/engine';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import { parseGsUri } from '../storage/location';
import type { ObjectStore } from '../storage/object-store';
import { FailureWatchingStore, participantTableLimits, withTimeBudget, type BudgetTimer } from './participant-io';

/** The output could not be read for a reason of storage (outage, time budget): the check is retried next pass. */
export class OutputCheckUnavailableError extends Error {
  override readonly name = 'OutputCheckUnavailableError';
}

/** Why the output is not a readable Delta table, or undefined when it is. */
export async function outputProblem(store: ObjectStore, location: string, limits: Limits = DEFAULT_LIMITS, timer?: BudgetTimer): Promise<string | undefined> {
  const what = `checking the run's output at ${location}`;
  return withTimeBudget(store, limits.participantReadTimeoutMs, what, async (budgeted) => {
    const watched = new FailureWatchingStore(budgeted, true);
    try {
      const { bucket, key } = parseGsUri(location);
      const table = await DeltaTable.open(watched, bucket, key.replace(/\/+$/, ''), participantTableLimits(limits));
      await table.snapshot();
      return undefined;
    } catch (error) {
      if (watched.failure) throw new OutputCheckUnavailableError(`${what} failed: ${watched.failure.message}`);
      return (error as Error).message;
    }
  }, timer);
}

/** A SUCCESS whose output is missing becomes FAILED, saying what the code must do. */
export function withOutputChecked(status: RunStatus, location: string, problem: string | undefined): RunStatus {
  if (problem === undefined) return status;
  const message = `the run ended SUCCESS but wrote no readable Delta table at its output ${location} (${problem}): ` +
    'SQL code must end with a query; a Python, Scala or R notebook must write its result as a Delta table at the `output` widget';
  return { ...status, resultState: 'FAILED', stateMessage: message, error: message };
}
