/**
 * Which registered datasets a run may be given. A Delta dataset's owner can rewrite its `_delta_log` at any time,
 * e.g. so `add.path` names files in another participant's bucket (which the cluster can read). Such a table is
 * refused by the runtime's own reader (a full snapshot), and a dataset it refuses is left out of the runs, so the
 * engine drops its table. The log is read within the read limits (a log or checkpoint above them is refused like any
 * unreadable table) and within the time budget: a dataset whose bucket does not answer in time is left out of this
 * pass only. Any other storage failure decides nothing.
 *
 * Checks cost a snapshot each, so they are done when they matter and remembered per location with the table's
 * newest commit (`DatasetCheckRecord`): a location registered many times is checked once; a catalogue sync trusts
 * what is remembered (the location was read when it was registered); before a submission each location costs one list
 * call that tells whether its newest commit is still the one checked, and only a changed table is read again.
 */
import { DeltaTable } from '../delta/table';
import type { DatasetRef } from '../engines/engine';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import type { DatasetCheckRecord } from '../processor/state';
import { parseGsUri } from '../storage/location';
import type { ObjectStore } from '../storage/object-store';
import { isCurrent, markOf } from './delta-log-mark';
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

export interface CheckCache {
  /** Checks remembered per location; updated in place (entries of locations no longer given are dropped). */
  records: Record<string, DatasetCheckRecord>;
  /** Confirm each remembered check with one list call (before a submission); otherwise trust it (catalogue sync). */
  confirm: boolean;
  /** The datasets given are only some of the registered ones: keep the checks of the others (default: false). */
  partial?: boolean;
}

type Verdict = { version: number } | { reason: string };

/**
 * Checks every Delta dataset (others pass through), each location once; a usable Delta dataset carries the version
 * checked (what its runs read). Without a cache every location gets a full check. Throws
 * DatasetCheckUnavailableError on a storage failure.
 */
export async function confineDatasets(store: ObjectStore, datasets: readonly DatasetRef[], limits: Limits = DEFAULT_LIMITS, timer?: BudgetTimer, cache?: CheckCache): Promise<ConfinedDatasets> {
  const locations = [...new Set(datasets.filter((d) => d.format === 'delta').map((d) => d.location))];
  const verdicts = new Map<string, Verdict>();
  await Promise.all(
    locations.map(async (location) => {
      const first = datasets.find((d) => d.location === location)!;
      verdicts.set(location, await checkLocation(store, first, limits, timer, cache));
    }),
  );
  if (cache && !cache.partial) for (const location of Object.keys(cache.records)) if (!verdicts.has(location)) delete cache.records[location];
  const result: ConfinedDatasets = { usable: [], refused: [] };
  for (const dataset of datasets) {
    const verdict = dataset.format === 'delta' ? verdicts.get(dataset.location) : undefined;
    if (verdict === undefined) result.usable.push(dataset);
    else if ('version' in verdict) result.usable.push({ ...dataset, version: verdict.version });
    else result.refused.push({ dataset, reason: verdict.reason });
  }
  return result;
}

/** The version of the location's current snapshot when it is fine, or why it is refused; from the cache when it still holds. */
async function checkLocation(store: ObjectStore, dataset: DatasetRef, limits: Limits, timer: BudgetTimer | undefined, cache: CheckCache | undefined): Promise<Verdict> {
  const what = `checking dataset ${dataset.participant}.${dataset.table} at ${dataset.location}`;
  const remembered = cache && Object.hasOwn(cache.records, dataset.location) ? cache.records[dataset.location] : undefined;
  // Told apart by where the error came from: a failed storage request postpones, anything else is the table's fault.
  return withTimeBudget(store, limits.participantReadTimeoutMs, what, async (budgeted) => {
    const watched = new FailureWatchingStore(budgeted, true);
    try {
      const { bucket, key } = parseGsUri(dataset.location);
      const path = key.replace(/\/+$/, '');
      if (remembered && (!cache!.confirm || (await isCurrent(watched, bucket, path, remembered.mark)))) {
        return remembered.refused === null ? { version: remembered.mark.version } : { reason: remembered.refused };
      }
      const snapshot = await (await DeltaTable.open(watched, bucket, path, participantTableLimits(limits))).snapshot();
      const mark = await markOf(watched, bucket, path, snapshot.version);
      if (cache && mark) cache.records[dataset.location] = { mark, refused: null };
      return { version: snapshot.version };
    } catch (error) {
      // A bucket that does not answer must not hold back everyone's runs: left out of this pass only.
      if (watched.failure instanceof ParticipantTimeoutError) return { reason: `${watched.failure.message}; left out of this pass only` };
      if (watched.failure) {
        throw new DatasetCheckUnavailableError(`${what} failed: ${watched.failure.message}`);
      }
      // A refused table is checked again next time (its owner is expected to fix it): nothing is remembered.
      if (cache) delete cache.records[dataset.location];
      return { reason: (error as Error).message };
    }
  }, timer);
}
