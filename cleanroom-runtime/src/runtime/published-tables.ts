/**
 * The runtime's own tables in participant buckets (`control/<table>` except `control/events`): a whole publication,
 * which replaces a table the participant made unreadable or changed the schema of. Participants only read these
 * tables; whatever they do to them is undone (publisher.ts finds it).
 */
import { logPrefix } from '../delta/actions';
import { DeltaTableExistsError, DeltaTableNotFoundError } from '../delta/errors';
import type { DeltaRow, StructType } from '../delta/schema-types';
import { DeltaTable, type TableReadLimits } from '../delta/table';
import { CONTROL_TABLES, controlTableKey, PUBLISHED_TABLE_NAMES } from '../control/tables';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import type { PublishedTable } from '../processor/views';
import { listAll, type ObjectStore } from '../storage/object-store';
import { FailureWatchingStore, participantTableLimits } from './participant-io';

function sameSchema(a: StructType, b: StructType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PublishOutcome {
  version: number;
  /** The data files the table holds after it (one per publication, none for no rows). */
  files: Array<{ path: string; size: number }>;
  /** Why the old table was deleted and written anew (unreadable, foreign schema...); absent when it was overwritten. */
  replaced?: string;
}

/**
 * Overwrites the table with `rows`; a table that cannot be used as the declared table (unreadable, above the read
 * limits, another schema), or one the caller says must be (`replace`: why), is replaced instead.
 */
export async function publishControlTable(store: ObjectStore, bucket: string, table: PublishedTable, rows: DeltaRow[], limits: Limits = DEFAULT_LIMITS, replace?: string): Promise<PublishOutcome> {
  const schema = CONTROL_TABLES[table];
  const watched = new FailureWatchingStore(store);
  let reason: string;
  if (replace !== undefined) return { ...(await replaceControlTable(store, bucket, table, rows)), replaced: replace };
  try {
    const delta = await openOrCreateBounded(watched, bucket, table, participantTableLimits(limits));
    const snapshot = await delta.snapshot();
    if (sameSchema(snapshot.schema, schema) && snapshot.partitionColumns.length === 0) {
      const version = await delta.overwrite(rows, { commitInfo: { cleanroomPublish: table } });
      return { version, files: filesOf(delta) };
    }
    reason = 'its schema is not the declared schema';
  } catch (error) {
    // Only a table that is itself unusable is replaced; an unreachable bucket is left for the next pass.
    if (watched.failure) throw watched.failure;
    reason = `it is unreadable or unwritable (${(error as Error).message})`;
  }
  return { ...(await replaceControlTable(store, bucket, table, rows)), replaced: reason };
}

function filesOf(delta: DeltaTable): PublishOutcome['files'] {
  return (delta.lastWrite?.adds ?? []).map((add) => ({ path: add.path, size: add.size }));
}

async function openOrCreateBounded(store: ObjectStore, bucket: string, table: PublishedTable, limits: TableReadLimits): Promise<DeltaTable> {
  try {
    return await DeltaTable.open(store, bucket, controlTableKey(table), limits);
  } catch (error) {
    if (!(error instanceof DeltaTableNotFoundError)) throw error;
  }
  try {
    return await DeltaTable.create(store, bucket, controlTableKey(table), CONTROL_TABLES[table]);
  } catch (error) {
    if (error instanceof DeltaTableExistsError) return DeltaTable.open(store, bucket, controlTableKey(table), limits);
    throw error;
  }
}

/**
 * Deletes everything under `control/<table>/` (log and data files: the folder is the runtime's) and writes a fresh
 * table. Refuses any table that is not a published one, so `control/events` can never be touched.
 */
async function replaceControlTable(store: ObjectStore, bucket: string, table: PublishedTable, rows: DeltaRow[]): Promise<Pick<PublishOutcome, 'version' | 'files'>> {
  if (!(PUBLISHED_TABLE_NAMES as readonly string[]).includes(table)) throw new Error(`control.${table} is not a table the clean room publishes; it is never replaced`);
  const folder = `${controlTableKey(table)}/`;
  const keys: string[] = [];
  for await (const object of listAll(store, bucket, folder)) keys.push(object.key);
  // The log first (commit 0 last), so an interrupted replacement never leaves a readable table with missing files.
  const log = logPrefix(controlTableKey(table));
  const order = (key: string) => (key.startsWith(log) ? 0 : 1);
  keys.sort((a, b) => order(a) - order(b) || (a < b ? 1 : a > b ? -1 : 0));
  for (const key of keys) await store.delete(bucket, key);
  try {
    const fresh = await DeltaTable.create(store, bucket, controlTableKey(table), CONTROL_TABLES[table], { description: `cleanroom control.${table}` });
    const version = await fresh.overwrite(rows, { commitInfo: { cleanroomPublish: table } });
    return { version, files: filesOf(fresh) };
  } catch (error) {
    if (error instanceof DeltaTableExistsError) throw new Error(`control.${table} was being written by someone else while the clean room replaced it; retried next pass`);
    throw error;
  }
}
