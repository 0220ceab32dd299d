/**
 * The runtime's own tables in participant buckets (`control/<table>` except `control/events`): a cheap check that
 * a table still ends at the version the runtime wrote, and a write that replaces a table the participant made
 * unreadable or changed the schema of. Participants only read these tables; whatever they do to them is undone.
 */
import { classifyLogKey, logPrefix, versionName } from '../delta/actions';
import { CorruptDeltaLogError, DeltaTableExistsError, DeltaWriteError, UnsupportedDeltaFeatureError } from '../delta/errors';
import type { DeltaRow } from '../delta/schema-types';
import { CHECKPOINT_INTERVAL, DeltaTable } from '../delta/table';
import { CONTROL_TABLES, controlTableKey, PUBLISHED_TABLE_NAMES } from '../control/tables';
import type { PublishedTable } from '../processor/views';
import { listAll, type ObjectStore } from '../storage/object-store';

/**
 * Why the table at `control/<table>` is not what the runtime last wrote (version `version`), or null when it is.
 * One list call: the log from the runtime's last checkpoint version (at most CHECKPOINT_INTERVAL commits back), so
 * a forged checkpoint a reader would prefer is seen too. Not seen: an object rewritten in place under the same
 * name (a listing cannot tell), which is undone the next time the table's content changes.
 */
export async function publishedTableProblem(store: ObjectStore, bucket: string, table: PublishedTable, version: number | undefined): Promise<string | null> {
  if (version === undefined) return 'no version recorded for the last write';
  const checkpointVersion = version - (version % CHECKPOINT_INTERVAL);
  const prefix = logPrefix(controlTableKey(table));
  let hasOwnCommit = false;
  for await (const object of listAll(store, bucket, prefix, prefix + versionName(checkpointVersion))) {
    const file = classifyLogKey(object.key);
    if (!file || file.kind === 'lastCheckpoint') continue;
    if (file.version > version) return `its log has commits the clean room did not write (version ${file.version} after ${version})`;
    if (file.kind === 'commit') hasOwnCommit ||= file.version === version;
    // The runtime checkpoints only multiples of CHECKPOINT_INTERVAL written by a commit after version 0.
    else if (file.version !== checkpointVersion || checkpointVersion === 0) return `its log has a checkpoint the clean room did not write (version ${file.version})`;
  }
  return hasOwnCommit ? null : `commit ${version} the clean room wrote is missing`;
}

export interface PublishOutcome {
  version: number;
  /** Why the old table was deleted and written anew (unreadable, foreign schema...); absent when it was overwritten. */
  replaced?: string;
}

/** Overwrites the table with `rows`; a table that cannot be used as the declared table is replaced instead. */
export async function publishControlTable(store: ObjectStore, bucket: string, table: PublishedTable, rows: DeltaRow[]): Promise<PublishOutcome> {
  const schema = CONTROL_TABLES[table];
  let reason: string;
  try {
    const delta = await DeltaTable.openOrCreate(store, bucket, controlTableKey(table), schema);
    const snapshot = await delta.snapshot();
    if (JSON.stringify(snapshot.schema) === JSON.stringify(schema) && snapshot.partitionColumns.length === 0) {
      return { version: await delta.overwrite(rows, { commitInfo: { cleanroomPublish: table } }) };
    }
    reason = 'its schema is not the declared schema';
  } catch (error) {
    // Only a table that is itself unusable is replaced; an unreachable bucket is left for the next pass.
    if (!isUnusableTable(error)) throw error;
    reason = `it is unreadable or unwritable (${(error as Error).message})`;
  }
  return { version: await replaceControlTable(store, bucket, table, rows), replaced: reason };
}

function isUnusableTable(error: unknown): boolean {
  return error instanceof CorruptDeltaLogError || error instanceof UnsupportedDeltaFeatureError || error instanceof DeltaWriteError;
}

/**
 * Deletes everything under `control/<table>/` (log and data files: the folder is the runtime's) and writes a fresh
 * table. Refuses any table that is not a published one, so `control/events` can never be touched.
 */
async function replaceControlTable(store: ObjectStore, bucket: string, table: PublishedTable, rows: DeltaRow[]): Promise<number> {
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
    return await fresh.overwrite(rows, { commitInfo: { cleanroomPublish: table } });
  } catch (error) {
    if (error instanceof DeltaTableExistsError) throw new Error(`control.${table} was being written by someone else while the clean room replaced it; retried next pass`);
    throw error;
  }
}
