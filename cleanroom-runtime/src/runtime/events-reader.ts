/**
 * Incremental reads of a participant's `control/events` table: commits after the last processed version.
 * When nothing is new this costs exactly one list call: the log listing starts at the last processed commit's
 * name, so it also shows whether that commit is still the one read (same generation; a new generation costs
 * one read of it, since a copied folder keeps the content) and whether the next one is missing while later ones
 * exist. The table is only opened when there is something to read.
 *
 * Two things make version numbers lie, and both fall back to reading the whole current snapshot and keeping
 * only the rows whose dedup key (event uuid) was never processed, with a warning:
 * - the participant deleted and recreated its events table (versions restart; the last processed commit is gone
 *   or rewritten, or the metaData id differs from the one recorded);
 * - Delta log cleanup removed commits not processed yet (the next commit is missing, later ones exist).
 * Rows without a usable uuid cannot be told apart from rows already processed, so the fallback skips them.
 *
 * The participant owns these objects, so none is read whole above a size limit (sizes from the listing the reader
 * makes anyway; a data file's listed size costs one list call before it is read): a commit above the limit, or one
 * adding a data file above it, is skipped. Its version still counts as read (so later events flow) and one ERROR
 * event_status under a synthetic id (`no-uuid-v<version>-0`) plus a pass-report error say what to do.
 *
 * Rows of a commit are those it adds for the first time (DeltaTable.readNewRows: a DELETE/UPDATE with deletion
 * vectors re-adds files already read). A table using a Delta feature the reader lacks is not read and waits
 * (refused-events-table.ts).
 */
import type { Action } from '../delta/actions';
import { classifyLogKey, commitFileName, logPrefix, parseCommit } from '../delta/actions';
import { mapLimit } from '../delta/log-reader';
import type { Snapshot } from '../delta/snapshot';
import { DeltaTable } from '../delta/table';
import { CorruptDeltaLogError, DataFileTooLargeError, DeltaTableNotFoundError, InvalidDeletionVectorError, UnsupportedDeltaFeatureError } from '../delta/errors';
import { controlTableKey } from '../control/tables';
import type { EventEnvelope } from '../events/event-model';
import { parseEvent } from '../events/parse-event';
import { isProcessedEvent } from '../processor/apply-event';
import { markEventsRead } from '../processor/apply-events';
import { recordOf, type CleanroomState } from '../processor/state';
import { sha256Hex } from '../processor/code-content';
import { listAll, NotFoundError, type ObjectStore } from '../storage/object-store';
import { refusedEventsTable } from './refused-events-table';

/** Size limits on what the reader holds in memory from a participant's events table. */
export interface EventsReadLimits {
  /** A `_delta_log/*.json` commit above this is not read. */
  maxCommitBytes: number;
  /** A data file (or checkpoint part) above this, by `add.size` or listed size, is not read. */
  maxDataFileBytes: number;
}

export const MAX_EVENTS_COMMIT_BYTES = 16 * 1024 * 1024;
export const MAX_EVENTS_DATA_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_EVENTS_READ_LIMITS: EventsReadLimits = { maxCommitBytes: MAX_EVENTS_COMMIT_BYTES, maxDataFileBytes: MAX_EVENTS_DATA_FILE_BYTES };

/** What identifies the events table as last read; kept in the state per participant. */
export interface EventsTableMark {
  /** `metaData.id` of the table. */
  tableId: string;
  /** Storage generation of the last processed commit file; null when the store reports none. */
  lastCommitGeneration: string | null;
  /** sha256 of that commit file: tells a copied file (new generation, same content) from a rewritten one. */
  lastCommitSha256: string | null;
}

export interface NewEvents {
  /** Last version read (unchanged when nothing is new; may be lower than before after a re-read). */
  lastVersion: number;
  envelopes: EventEnvelope[];
  /** The table's identity as read, to record with lastVersion; absent when nothing was read. */
  mark?: EventsTableMark;
  /** Set when the whole snapshot was re-read instead of the commits after the last version: why, for the report. */
  reread?: string;
  /** Commits skipped because they (or a data file they add) are above the size limits: one message each. */
  skipped?: string[];
}

export interface ReadContext {
  /** The mark recorded in the state with `afterVersion` (absent for states written before marks existed). */
  known?: EventsTableMark;
  /** True when an event with this dedup key was already processed. */
  isProcessed: (dedupKey: string) => boolean;
  /** Default: DEFAULT_EVENTS_READ_LIMITS. */
  limits?: EventsReadLimits;
}

interface LogEntry {
  key: string;
  generation: string | null;
  size: number;
}

export async function readNewEvents(store: ObjectStore, participant: string, bucket: string, afterVersion: number, ctx?: ReadContext): Promise<NewEvents> {
  const prefix = controlTableKey('events');
  const { commits, latest } = await listLogFrom(store, bucket, prefix, Math.max(afterVersion, 0));
  const where = `gs://${bucket}/${prefix}`;
  const limits = ctx?.limits ?? DEFAULT_EVENTS_READ_LIMITS;
  if (afterVersion >= 0 && ctx) {
    const last = commits.get(afterVersion);
    const laterExists = latest > afterVersion;
    if (!last && !laterExists) {
      return reread(store, participant, bucket, ctx, `the last processed commit (version ${afterVersion}) of ${where} is gone and nothing follows it: the table was deleted or recreated`);
    }
    const known = ctx.known;
    // A new generation costs one read of that commit: a copied log (local folders) keeps its content.
    if (last && known?.lastCommitGeneration && last.generation && last.generation !== known.lastCommitGeneration && (await commitIdentity(store, bucket, last, limits)) !== known.lastCommitSha256) {
      return reread(store, participant, bucket, ctx, `commit ${afterVersion} of ${where} is not the one processed (rewritten): the table was recreated`);
    }
    if (laterExists && !commits.has(afterVersion + 1)) {
      return reread(store, participant, bucket, ctx, `commit ${afterVersion + 1} of ${where} is missing while later versions exist: log cleanup removed commits not processed yet`);
    }
  }
  const versions: number[] = [];
  for (let v = afterVersion + 1; commits.has(v); v++) versions.push(v);
  if (versions.length === 0) return { lastVersion: afterVersion, envelopes: [] };

  const read = await mapLimit(versions, 16, (v) => readCommit(store, bucket, commits.get(v)!, v, where, limits));
  const actions = read.map((r) => r.actions);
  const lastVersion = versions[versions.length - 1];
  const table = await openEventsTable(store, bucket, limits);
  let snapshot: Snapshot;
  try {
    snapshot = await table.snapshot(lastVersion);
  } catch (error) {
    if (error instanceof UnsupportedDeltaFeatureError) return refusedEventsTable(participant, where, afterVersion, lastVersion, error);
    throw error;
  }
  if (ctx?.known && snapshot.metadata.id !== ctx.known.tableId) {
    return reread(store, participant, bucket, ctx, `the metaData id of ${where} changed (${ctx.known.tableId} → ${snapshot.metadata.id}): the table was recreated`);
  }
  // Commits are read a few at a time (a busy table has one small file per appended event).
  const skipped: string[] = [];
  const skip = (version: number, what: string): EventEnvelope[] => {
    const message =
      `events commit ${version} of participant ${participant} (${where}) was skipped: ${what}; its events were not read. ` +
      'Append events in smaller commits (a few events per commit, small files) and send the skipped events again';
    skipped.push(message);
    return [{ participant, eventsVersion: version, index: 0, row: {}, unreadable: message }];
  };
  const perCommit = await mapLimit(versions.map((version, i) => ({ version, actions: actions[i] })), 8, async ({ version, actions: commit }) => {
    if (commit === null) return skip(version, `the commit file is ${commits.get(version)!.size} bytes, above the limit of ${limits.maxCommitBytes} bytes`);
    try {
      // Only rows new to the table: a DELETE/UPDATE with deletion vectors re-adds files whose rows were read before.
      const rows = await table.readNewRows(commit, snapshot);
      return rows.map((row, index): EventEnvelope => ({ participant, eventsVersion: version, index, row }));
    } catch (error) {
      if (error instanceof InvalidDeletionVectorError) return skip(version, error.message);
      if (!(error instanceof DataFileTooLargeError)) throw error;
      return skip(version, `its data file ${error.path} is ${error.size} bytes, above the limit of ${error.limit} bytes`);
    }
  });
  return {
    lastVersion,
    envelopes: perCommit.flat(),
    ...(skipped.length > 0 ? { skipped } : {}),
    mark: { tableId: snapshot.metadata.id, lastCommitGeneration: commits.get(lastVersion)!.generation, lastCommitSha256: read[read.length - 1].sha256 },
  };
}

/** Every row of the current snapshot whose event was never processed, in timestamp order. */
async function reread(store: ObjectStore, participant: string, bucket: string, ctx: ReadContext, why: string): Promise<NewEvents> {
  const prefix = controlTableKey('events');
  const limits = ctx.limits ?? DEFAULT_EVENTS_READ_LIMITS;
  const table = await openEventsTable(store, bucket, limits);
  const snapshot = await table.snapshot();
  let tooLarge = 0;
  const perFile = await mapLimit(snapshot.files, 8, async (file) => {
    try {
      return await table.readSnapshotFile(snapshot, file);
    } catch (error) {
      if (!(error instanceof DataFileTooLargeError)) throw error;
      tooLarge++;
      return [];
    }
  });
  const rows = perFile.flat();
  const ordered = rows
    .map((row, position) => ({ row, position, time: typeof row.timestamp === 'bigint' ? row.timestamp : 0n }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.position - b.position));
  const envelopes: EventEnvelope[] = [];
  let withoutUuid = 0;
  for (const { row } of ordered) {
    const envelope: EventEnvelope = { participant, eventsVersion: snapshot.version, index: envelopes.length, row };
    const parsed = parseEvent(envelope);
    const key = parsed.ok ? parsed.event.dedupKey : parsed.error.dedupKey;
    if (key === null) withoutUuid++;
    else if (!ctx.isProcessed(key)) envelopes.push(envelope);
  }
  const { commits } = await listLogFrom(store, bucket, prefix, snapshot.version);
  const lastCommit = commits.get(snapshot.version);
  const skipped =
    (withoutUuid > 0 ? `; ${withoutUuid} rows without a usable uuid were skipped (they cannot be told apart from rows already processed)` : '') +
    (tooLarge > 0 ? `; ${tooLarge} data files above ${limits.maxDataFileBytes} bytes were not read (their events are skipped: send them again in smaller commits)` : '');
  return {
    lastVersion: snapshot.version,
    envelopes,
    mark: {
      tableId: snapshot.metadata.id,
      lastCommitGeneration: lastCommit?.generation ?? null,
      lastCommitSha256: lastCommit ? await commitIdentity(store, bucket, lastCommit, limits) : null,
    },
    reread: `WARNING: ${why}; re-read the whole table at version ${snapshot.version}: ${envelopes.length} events not processed before were found${skipped}`,
  };
}

/** The events table, read with the size limits (an oversized commit replays as empty: its version still exists). */
function openEventsTable(store: ObjectStore, bucket: string, limits: EventsReadLimits): Promise<DeltaTable> {
  return DeltaTable.open(store, bucket, controlTableKey('events'), {
    maxCommitBytes: limits.maxCommitBytes,
    maxCheckpointPartBytes: limits.maxDataFileBytes,
    maxDataFileBytes: limits.maxDataFileBytes,
  });
}

/** A commit's actions, or null when it is above the limit (not read; its identity is then its size). */
async function readCommit(store: ObjectStore, bucket: string, entry: LogEntry, version: number, where: string, limits: EventsReadLimits): Promise<{ actions: Action[] | null; sha256: string }> {
  if (entry.size > limits.maxCommitBytes) return { actions: null, sha256: oversizedIdentity(entry) };
  const bytes = await store.get(bucket, entry.key);
  try {
    return { actions: parseCommit(new TextDecoder().decode(bytes)), sha256: sha256Hex(bytes) };
  } catch (error) {
    throw new CorruptDeltaLogError(where, `commit ${commitFileName(version)}: ${(error as Error).message}`);
  }
}

function oversizedIdentity(entry: LogEntry): string {
  return `oversized:${entry.size}`;
}

/** sha256 of a commit file, or `oversized:<size>` for one above the limit (never read). */
async function commitIdentity(store: ObjectStore, bucket: string, entry: LogEntry, limits: EventsReadLimits): Promise<string | null> {
  if (entry.size > limits.maxCommitBytes) return oversizedIdentity(entry);
  try {
    return sha256Hex(await store.get(bucket, entry.key));
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** One listing of the log from `version`'s commit name: commits (with generations) and the newest version seen. */
async function listLogFrom(store: ObjectStore, bucket: string, tablePrefix: string, version: number): Promise<{ commits: Map<number, LogEntry>; latest: number }> {
  const prefix = logPrefix(tablePrefix);
  const commits = new Map<number, LogEntry>();
  let latest = -1;
  for await (const object of listAll(store, bucket, prefix, prefix + commitFileName(version))) {
    const file = classifyLogKey(object.key);
    if (!file || file.kind === 'lastCheckpoint') continue;
    if (file.kind === 'commit') commits.set(file.version, { key: file.key, generation: object.generation ?? null, size: object.size });
    latest = Math.max(latest, file.version);
  }
  return { commits, latest };
}

/** True when the participant's events table exists (onboarded). */
export async function hasEventsTable(store: ObjectStore, bucket: string): Promise<boolean> {
  try {
    await DeltaTable.open(store, bucket, controlTableKey('events'));
    return true;
  } catch (error) {
    if (error instanceof DeltaTableNotFoundError) return false;
    throw error;
  }
}

/** Records in `state` (in place) how far a participant's events were read, and the table's identity. */
export function recordEventsRead(state: CleanroomState, participant: string, read: NewEvents): void {
  // After a re-read the versions of a recreated table may be lower than the old ones: take them as they are.
  if (read.reread) state.eventsVersions[participant] = read.lastVersion;
  else markEventsRead(state, participant, read.lastVersion);
  if (read.mark) (state.eventsTables ??= {})[participant] = read.mark;
}

/** The read context for a participant, from the state the pass decides on. */
export function readContextFor(state: CleanroomState, participant: string, limits?: EventsReadLimits): ReadContext {
  return { known: recordOf(state.eventsTables ?? {}, participant), isProcessed: (key) => isProcessedEvent(state, key), limits };
}
