/**
 * Which registered datasets a run may be given. A Delta dataset's owner can rewrite its `_delta_log` at any time,
 * e.g. so `add.path` names files in another participant's bucket (which the cluster can read). Before runs start,
 * each Delta dataset's current snapshot is built with the runtime's own reader, which refuses such files; a dataset
 * it refuses is left out of the runs, so the engine drops its table. A storage failure decides nothing.
 */
import { DeltaTable } from '../delta/table';
import type { DatasetRef } from '../engines/engine';
import { parseGsUri } from '../storage/location';
import { NotFoundError, type ListOptions, type ListPage, type ObjectStore } from '../storage/object-store';

export interface RefusedDataset {
  dataset: DatasetRef;
  reason: string;
}

export interface ConfinedDatasets {
  /** Datasets runs may read, in the given order. */
  usable: DatasetRef[];
  refused: RefusedDataset[];
}

/** Storage could not answer while a dataset was checked: nothing is decided, the caller retries later. */
export class DatasetCheckUnavailableError extends Error {
  override readonly name = 'DatasetCheckUnavailableError';
}

/** Checks every Delta dataset (others pass through). Throws DatasetCheckUnavailableError on a storage failure. */
export async function confineDatasets(store: ObjectStore, datasets: readonly DatasetRef[]): Promise<ConfinedDatasets> {
  const reasons = await Promise.all(datasets.map((d) => (d.format === 'delta' ? deltaRefusal(store, d) : undefined)));
  const result: ConfinedDatasets = { usable: [], refused: [] };
  datasets.forEach((dataset, i) => {
    const reason = reasons[i];
    if (reason === undefined) result.usable.push(dataset);
    else result.refused.push({ dataset, reason });
  });
  return result;
}

/** Why the dataset's current snapshot is refused, or undefined when it is fine. */
async function deltaRefusal(store: ObjectStore, dataset: DatasetRef): Promise<string | undefined> {
  // Told apart by where the error came from: a failed storage request postpones, anything else is the table's fault.
  const watched = new FailureWatchingStore(store);
  try {
    const { bucket, key } = parseGsUri(dataset.location);
    await (await DeltaTable.open(watched, bucket, key.replace(/\/+$/, ''))).snapshot();
    return undefined;
  } catch (error) {
    if (watched.failure) {
      throw new DatasetCheckUnavailableError(`checking dataset ${dataset.participant}.${dataset.table} at ${dataset.location} failed: ${watched.failure.message}`);
    }
    return (error as Error).message;
  }
}

/** Passes requests through, remembering the first failure other than an absent object (an answer, not a failure). */
class FailureWatchingStore implements ObjectStore {
  failure?: Error;

  constructor(private readonly inner: ObjectStore) {}

  get(bucket: string, key: string): Promise<Uint8Array> {
    return this.watch(this.inner.get(bucket, key));
  }

  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.watch(this.inner.list(bucket, prefix, options));
  }

  createIfAbsent(bucket: string, key: string): Promise<void> {
    return this.refuseWrite(bucket, key);
  }

  put(bucket: string, key: string): Promise<void> {
    return this.refuseWrite(bucket, key);
  }

  delete(bucket: string, key: string): Promise<void> {
    return this.refuseWrite(bucket, key);
  }

  private async watch<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof NotFoundError)) this.failure ??= error as Error;
      throw error;
    }
  }

  /** Checking a dataset only reads: a write here would be a bug, never a change to a participant's table. */
  private refuseWrite(bucket: string, key: string): Promise<void> {
    return Promise.reject(new Error(`dataset check tried to write gs://${bucket}/${key}; it must only read`));
  }
}
