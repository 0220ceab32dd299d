/**
 * Which registered datasets a run may be given. A Delta dataset's owner can rewrite its `_delta_log` at any time,
 * e.g. so `add.path` names files in another participant's bucket (which the cluster can read). Before runs start,
 * each Delta dataset's current snapshot is built with the runtime's own reader, which refuses such files; a dataset
 * it refuses is left out of the runs, so the engine drops its table. The log is read within the read limits (a log
 * or checkpoint above them is refused like any unreadable table) and within the time budget: a dataset whose bucket
 * does not answer in time is left out of this pass only. Any other storage failure decides nothing.
 */
import { DeltaTable } from '../delta/table';
import type { DatasetRef } from '../engines/engine';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import { parseGsUri } from '../storage/location';
import type { ObjectStore } from '../storage/object-store';
import { FailureWatchingStore, ParticipantTimeoutError, participantTableLimits, withTimeBudget, type BudgetTimer } from './participant-io';

export interface RefusedDataset {
  dataset: DatasetRef;
  reason: string;
}

export interface ConfinedDatasets {
  /** Datasets runs may read, in the given order; a Delta dataset with the version checked (runs read that one). */
  usable: DatasetRef[];
  refused: RefusedDataset[];
}

/** Storage could not answer while a dataset was checked: nothing is decided, the caller retries later. */
export class DatasetCheckUnavailableError extends Error {
  override readonly name = 'DatasetCheckUnavailableError';
}

/** Checks every Delta dataset (others pass through). Throws DatasetCheckUnavailableError on a storage failure. */
export async function confineDatasets(store: ObjectStore, datasets: readonly DatasetRef[], limits: Limits = DEFAULT_LIMITS, timer?: BudgetTimer): Promise<ConfinedDatasets> {
  const checks = await Promise.all(datasets.map((d) => (d.format === 'delta' ? checkDelta(store, d, limits, timer) : undefined)));
  const result: ConfinedDatasets = { usable: [], refused: [] };
  datasets.forEach((dataset, i) => {
    const check = checks[i];
    if (check === undefined) result.usable.push(dataset);
    else if ('version' in check) result.usable.push({ ...dataset, version: check.version });
    else result.refused.push({ dataset, reason: check.reason });
  });
  return result;
}

/** The version of the dataset's current snapshot when it is fine, or why it is refused. */
async function checkDelta(store: ObjectStore, dataset: DatasetRef, limits: Limits, timer?: BudgetTimer): Promise<{ version: number } | { reason: string }> {
  const what = `checking dataset ${dataset.participant}.${dataset.table} at ${dataset.location}`;
  // Told apart by where the error came from: a failed storage request postpones, anything else is the table's fault.
  return withTimeBudget(store, limits.participantReadTimeoutMs, what, async (budgeted) => {
    const watched = new FailureWatchingStore(budgeted, true);
    try {
      const { bucket, key } = parseGsUri(dataset.location);
      const snapshot = await (await DeltaTable.open(watched, bucket, key.replace(/\/+$/, ''), participantTableLimits(limits))).snapshot();
      return { version: snapshot.version };
    } catch (error) {
      // A bucket that does not answer must not hold back everyone's runs: left out of this pass only.
      if (watched.failure instanceof ParticipantTimeoutError) return { reason: `${watched.failure.message}; left out of this pass only` };
      if (watched.failure) {
        throw new DatasetCheckUnavailableError(`${what} failed: ${watched.failure.message}`);
      }
      return { reason: (error as Error).message };
    }
  }, timer);
}
