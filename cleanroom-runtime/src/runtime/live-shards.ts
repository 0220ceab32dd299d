/**
 * The live rows of a published table (rows that may still change: registrations, approvals, jobs and runs not over)
 * split into files, so a pass that changes one row rewrites a small file rather than every live row of the table. Up
 * to SINGLE_FILE_ROWS rows are one file; above, rows go to 16 shards by a hex digit of the hash of their content (a
 * changed row leaves its old shard and joins another: two small files rewritten). Nothing here reads or writes.
 */
import type { DeltaRow } from '../delta/schema-types';
import type { LiveFile, PublishedTableRecord } from '../processor/state';
import { createHash } from 'node:crypto';
import { rowsHash, rowText } from '../processor/views';
import { shardOf } from './state/core-shards';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Live rows kept in one file up to this many. */
const SINGLE_FILE_ROWS = 64;
/** The shard of a table whose live rows are one file (also what records written before shards hold). */
const WHOLE = '';

/** The live rows by shard, each with the content hash of its rows (rows keep their order within a shard), and the hash of them all. */
export function liveShards(rows: readonly DeltaRow[]): { shards: Map<string, { rows: DeltaRow[]; hash: string }>; hash: string } {
  if (rows.length <= SINGLE_FILE_ROWS) {
    // The same hash as the whole view's (records written before shards compare equal).
    const hash = rowsHash(rows);
    return { shards: new Map(rows.length > 0 ? [[WHOLE, { rows: [...rows], hash }]] : []), hash };
  }
  const byShard = new Map<string, { rows: DeltaRow[]; texts: string[] }>();
  for (const row of rows) {
    const text = rowText(row);
    const shard = shardOf(text);
    let entry = byShard.get(shard);
    if (!entry) byShard.set(shard, (entry = { rows: [], texts: [] }));
    entry.rows.push(row);
    entry.texts.push(text);
  }
  const shards = new Map([...byShard].sort(([a], [b]) => (a < b ? -1 : 1)).map(([shard, entry]) => [shard, { rows: entry.rows, hash: sha256(entry.texts.join('\n')) }]));
  return { shards, hash: sha256([...shards].map(([shard, entry]) => `${shard}:${entry.hash}`).join('\n')) };
}

/** The live files a record names, by shard (a record from before shards: its one file holds every live row). */
export function recordedLiveFiles(record: PublishedTableRecord): Record<string, LiveFile> {
  if (record.liveFiles) return record.liveFiles;
  return record.liveFile ? { [WHOLE]: { ...record.liveFile, hash: record.liveHash } } : {};
}
