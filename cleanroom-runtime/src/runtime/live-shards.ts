/**
 * The live rows of a published table (rows that may still change: registrations, approvals, jobs and runs not over)
 * split into files, so a pass that changes one row rewrites a small file rather than every live row of the table. Up
 * to SINGLE_FILE_ROWS rows are one file; above, rows go to 16 shards by the first hex digit of their content hash (a
 * changed row leaves its old shard and joins another: two small files rewritten). Nothing here reads or writes.
 */
import type { DeltaRow } from '../delta/schema-types';
import type { LiveFile, PublishedTableRecord } from '../processor/state';
import { rowsHash } from '../processor/views';

/** Live rows kept in one file up to this many. */
const SINGLE_FILE_ROWS = 64;
/** The shard of a table whose live rows are one file (also what records written before shards hold). */
const WHOLE = '';

/** The live rows by shard, each with the content hash of its rows (rows keep their order within a shard). */
export function liveShards(rows: readonly DeltaRow[]): Map<string, { rows: DeltaRow[]; hash: string }> {
  const byShard = new Map<string, DeltaRow[]>();
  if (rows.length <= SINGLE_FILE_ROWS) {
    if (rows.length > 0) byShard.set(WHOLE, [...rows]);
  } else {
    for (const row of rows) {
      const shard = rowsHash([row])[0];
      byShard.set(shard, [...(byShard.get(shard) ?? []), row]);
    }
  }
  return new Map([...byShard].sort(([a], [b]) => (a < b ? -1 : 1)).map(([shard, shardRows]) => [shard, { rows: shardRows, hash: rowsHash(shardRows) }]));
}

/** The live files a record names, by shard (a record from before shards: its one file holds every live row). */
export function recordedLiveFiles(record: PublishedTableRecord): Record<string, LiveFile> {
  if (record.liveFiles) return record.liveFiles;
  return record.liveFile ? { [WHOLE]: { ...record.liveFile, hash: record.liveHash } } : {};
}
