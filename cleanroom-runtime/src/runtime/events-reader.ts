/**
 * Incremental reads of a participant's `control/events` table: commits after the last processed version, without
 * replaying its log. What the reader needs of the table (protocol, metaData: id, schema, partition columns,
 * properties) is kept in the state's per-participant mark and updated from the protocol and metaData actions of the
 * new commits, so a pass reads exactly the new commits and the data files they add. When nothing is new this costs
 * exactly one list call: the log listing starts at the last processed commit's name, so it also shows whether that
 * commit is still the one read (same generation; a new generation costs one read of it, since a copied folder keeps
 * the content) and whether the next one is missing while later ones exist.
 *
 * Two things make version numbers lie, and both fall back to one bounded read of the current snapshot, keeping only
 * the rows whose dedup key (event uuid) was never processed, with a warning:
 * - the participant deleted and recreated its events table (versions restart; the last processed commit is gone
 *   or rewritten, or a metaData id differs from the one recorded);
 * - Delta log cleanup removed commits not processed yet (the next commit is missing, later ones exist).
 * Rows of a commit are those it adds for the first time (new-files.ts: a DELETE/UPDATE with deletion vectors re-adds
 * files already read). Rows without a usable uuid cannot be told apart from rows already processed, so the fallback
 * skips them. A state
 * written before marks carried the table (or a first read whose log starts after version 0) also reads the snapshot
 * once, within the same bounds.
 *
 * The participant owns these objects, so everything is read within the limits of src/limits.ts, and a participant's
 * mistakes (or attacks) stay its own:
 * - per pass at most `eventsCommitsPerPass` commits and `eventsPerPass` events are read; later commits wait, in order;
 * - a commit that cannot be read (above a size or row limit, not JSON, a missing or damaged data file or deletion
 *   vector...) is skipped: its version counts as read, so later events flow, and it gets one ERROR event_status
 *   under a synthetic id (`no-uuid-v<version>-0`) plus a pass-report error saying what to fix;
 * - a table that needs a Delta feature this reader lacks is not read: its events wait, with one ERROR event_status
 *   naming the feature (refused-events-table.ts), and flow once the feature is dropped;
 * - a table that cannot be read at all (the bounded snapshot fails) gets one ERROR event_status
 *   (`no-uuid-table-v<latest version>`) and is not read again until its log changes;
 * - a storage request that fails (or runs out of the pass's time budget) is thrown: the events wait for the next
 *   pass, nothing is reported to the participant as its fault.
 */
import type { Action, AddAction, MetadataAction, ProtocolAction } from '../delta/actions';
import { classifyLogKey, commitFileName, logPrefix, parseCommit } from '../delta/actions';
import { DeltaTableNotFoundError, UnsupportedDeltaFeatureError } from '../delta/errors';
import { mapLimit } from '../delta/log-reader';
import { newlyAddedFiles } from '../delta/new-files';
import type { DeltaRow } from '../delta/schema-types';
import { toSnapshot, type Snapshot } from '../delta/snapshot';
import { SnapshotState } from '../delta/snapshot-state';
import { DeltaTable } from '../delta/table';
import { controlTableKey } from '../control/tables';
import type { EventEnvelope } from '../events/event-model';
import { parseEvent } from '../events/parse-event';
import { DEFAULT_LIMITS, describeBytes, type Limits } from '../limits';
import { isProcessedEvent } from '../processor/apply-event';
import { markEventsRead } from '../processor/apply-events';
import { sha256Hex } from '../processor/code-content';
import { recordOf, type CleanroomState, type EventsTableMark, type EventsTableShape } from '../processor/state';
import { listAll, NotFoundError, type ObjectStore } from '../storage/object-store';
import { FailureWatchingStore, participantTableLimits } from './participant-io';
import type { StateHistory } from './state-store';
import { refusedEventsTable } from './refused-events-table';

export type { EventsTableMark } from '../processor/state';

/** The largest table shape (protocol + metaData) kept in the state per participant. */
export const MAX_TABLE_SHAPE_BYTES = 64 * 1024;

export interface NewEvents {
  /** Last version read (unchanged when nothing is new; may be lower than before after a re-read). */
  lastVersion: number;
  envelopes: EventEnvelope[];
  /** The table's identity as read, to record with lastVersion; absent when nothing was read. */
  mark?: EventsTableMark;
  /** Set when the whole snapshot was re-read instead of the commits after the last version: why, for the report. */
  reread?: string;
  /** Commits (or a whole table) that could not be read: one message each, for the report. */
  skipped?: string[];
}

export interface ReadContext {
  /** The mark recorded in the state with `afterVersion` (absent for states written before marks existed). */
  known?: EventsTableMark;
  /** True when an event with this dedup key was already processed. */
  isProcessed: (dedupKey: string) => boolean | Promise<boolean>;
  /** True when the participant already has an event_status row under this id (synthetic ids must stay unique). */
  hasStatus?: (eventUuid: string) => boolean | Promise<boolean>;
  /** Default: DEFAULT_LIMITS. */
  limits?: Limits;
}

interface LogEntry {
  key: string;
  generation: string | null;
  size: number;
}

interface Listing {
  commits: Map<number, LogEntry>;
  /** The newest version seen (-1: none). */
  latest: number;
}

/** A commit read: its actions and identity, or why it cannot be used. */
type ReadCommit = { actions: Action[]; sha256: string } | { problem: Problem; sha256: string };

/** Why something of the participant's cannot be read, and what the participant should do. */
interface Problem {
  what: string;
  fix: string;
}

/** Commits whose rows are read at once: bounds one participant's memory to a few files within the Parquet limits. */
const ROW_WINDOW = 4;

const SMALLER_COMMITS = 'append events in smaller commits (a few events per commit, small files) and send the skipped events again';
const REWRITE = 'append the skipped events again with a Delta writer (the cleanroom CLI or Spark)';

export async function readNewEvents(store: ObjectStore, participant: string, bucket: string, afterVersion: number, ctx?: ReadContext): Promise<NewEvents> {
  const limits = ctx?.limits ?? DEFAULT_LIMITS;
  const reader = new EventsReader(store, participant, bucket, limits, ctx);
  return reader.read(afterVersion);
}

class EventsReader {
  private readonly where: string;
  private readonly prefix = controlTableKey('events');
  private readonly skipped: string[] = [];
  private readonly idsUsed = new Set<string>();
  private afterVersion = -1;

  constructor(
    private readonly store: ObjectStore,
    private readonly participant: string,
    private readonly bucket: string,
    private readonly limits: Limits,
    private readonly ctx: ReadContext | undefined,
  ) {
    this.where = `gs://${bucket}/${this.prefix}`;
  }

  async read(afterVersion: number): Promise<NewEvents> {
    this.afterVersion = afterVersion;
    const known = this.ctx?.known;
    // A table reported unreadable is read again only once its log changed: its latest commit is another, or has a
    // successor (one list call from that commit's name).
    if (known?.blocked) {
      const since = await this.listFrom(known.blocked.latest, known.blocked.latest);
      if (since.latest === known.blocked.latest && (since.commits.get(since.latest)?.generation ?? null) === known.blocked.generation) {
        return { lastVersion: afterVersion, envelopes: [] };
      }
    }
    const listing = await this.listFrom(Math.max(afterVersion, 0), afterVersion + this.limits.eventsCommitsPerPass + 1);
    if (listing.latest < 0 && afterVersion < 0) return { lastVersion: afterVersion, envelopes: [] }; // no events table (yet)
    const last = listing.commits.get(afterVersion);
    const laterExists = listing.latest > afterVersion;
    if (afterVersion < 0) {
      if (!listing.commits.has(0) && laterExists) return this.reread(`version 0 of ${this.where} is missing while later versions exist: log cleanup removed commits never processed`);
    } else if (this.ctx) {
      if (!last && !laterExists) return this.reread(`the last processed commit (version ${afterVersion}) of ${this.where} is gone and nothing follows it: the table was deleted or recreated`);
      // A new generation costs one read of that commit: a copied log (local folders) keeps its content.
      if (last && known?.lastCommitGeneration && last.generation && last.generation !== known.lastCommitGeneration && (await this.commitIdentity(last)) !== known.lastCommitSha256) {
        return this.reread(`commit ${afterVersion} of ${this.where} is not the one processed (rewritten): the table was recreated`);
      }
      if (laterExists && !listing.commits.has(afterVersion + 1)) {
        return this.reread(`commit ${afterVersion + 1} of ${this.where} is missing while later versions exist: log cleanup removed commits not processed yet`);
      }
    }
    // At most eventsCommitsPerPass commits, holding together at most deltaCommitBytes (by listed size; at least one).
    const versions: number[] = [];
    let commitBytes = 0;
    for (let v = afterVersion + 1; listing.commits.has(v) && versions.length < this.limits.eventsCommitsPerPass; v++) {
      const size = listing.commits.get(v)!.size;
      const read = size > this.limits.deltaCommitBytes ? 0 : size; // an oversized commit is never read
      if (versions.length > 0 && commitBytes + read > this.limits.deltaCommitBytes) break;
      commitBytes += read;
      versions.push(v);
    }
    if (versions.length === 0) return { lastVersion: afterVersion, envelopes: [] };

    let shape = known?.shape;
    if (afterVersion >= 0 && !shape) {
      // A state from before marks kept the table's shape: read it once, from a bounded snapshot.
      const start = await this.snapshotAt(afterVersion);
      if ('blocked' in start) return start.blocked;
      if (known && start.snapshot.metadata.id !== known.tableId) {
        return this.reread(`the metaData id of ${this.where} changed (${known.tableId} → ${start.snapshot.metadata.id}): the table was recreated`);
      }
      shape = shapeOf(start.snapshot.protocol, start.snapshot.metadata);
    }
    return this.readCommits(versions, listing, shape, known?.tableId);
  }

  /**
   * Reads `versions` in order, within the per-pass event quota. Every commit's rows are typed by the table as of the
   * last of them (as a snapshot at that version would): a table that ends up needing a Delta feature this reader
   * lacks is not read at all and waits (refused-events-table.ts), so its events flow once the feature is dropped.
   */
  private async readCommits(versions: number[], listing: Listing, initial: EventsTableShape | undefined, knownId: string | undefined): Promise<NewEvents> {
    const commits = await mapLimit(versions, 16, (v) => this.readCommit(listing.commits.get(v)!, v));
    const state = new SnapshotState();
    if (initial) applyShape(state, initial);
    type Entry = { version: number; sha256: string; shape?: EventsTableShape; problem?: Problem; adds: AddAction[] };
    const entries: Entry[] = [];
    for (let i = 0; i < versions.length; i++) {
      const version = versions[i];
      const commit = commits[i];
      const entry: Entry = { version, sha256: commit.sha256, adds: [] };
      if ('problem' in commit) entry.problem = commit.problem;
      else {
        const metaData = commit.actions.find((a): a is { metaData: MetadataAction } => 'metaData' in a)?.metaData;
        if (metaData && knownId !== undefined && knownId !== '' && metaData.id !== knownId) {
          return this.reread(`the metaData id of ${this.where} changed at version ${version} (${knownId} → ${metaData.id}): the table was recreated`);
        }
        entry.problem = withShapeActions(state, commit.actions, version);
        // Only rows new to the table: a DELETE/UPDATE with deletion vectors re-adds files whose rows were read before.
        if (!entry.problem) entry.adds = newlyAddedFiles(commit.actions);
      }
      entry.shape = currentShape(state);
      entries.push(entry);
    }
    let snapshot: Snapshot | undefined;
    try {
      snapshot = toSnapshot(state, this.where);
    } catch (error) {
      if (error instanceof UnsupportedDeltaFeatureError) return refusedEventsTable(this.participant, this.where, this.afterVersion, versions[versions.length - 1], error);
      const problem = problemOf(error);
      for (const entry of entries) entry.problem ??= problem;
    }
    const envelopes: EventEnvelope[] = [];
    let events = 0;
    let consumed: Entry | undefined;
    // Rows are read a few commits at a time (a busy table has one small file per appended event), so at most
    // ROW_WINDOW data files of one participant are decoded at once; a window whose events go over the quota is cut
    // at the last commit that fits, and the rest waits for the next pass.
    for (let i = 0; i < entries.length; i += ROW_WINDOW) {
      const window = entries.slice(i, i + ROW_WINDOW);
      const rows = await mapLimit(window, ROW_WINDOW, (entry) => (entry.problem || !snapshot ? Promise.resolve(entry.problem!) : this.readRows(snapshot, entry.adds)));
      for (let w = 0; w < window.length; w++) {
        const entry = window[w];
        const result = rows[w];
        const count = Array.isArray(result) ? result.length : 1;
        if (events > 0 && events + count > this.limits.eventsPerPass) return this.result(consumed, envelopes, listing);
        events += count;
        consumed = entry;
        if (Array.isArray(result)) envelopes.push(...result.map((row, index): EventEnvelope => ({ participant: this.participant, eventsVersion: entry.version, index, row })));
        else envelopes.push(await this.skip(entry.version, result));
      }
    }
    return this.result(consumed, envelopes, listing);
  }

  private result(consumed: { version: number; sha256: string; shape?: EventsTableShape } | undefined, envelopes: EventEnvelope[], listing: Listing): NewEvents {
    if (!consumed) return { lastVersion: this.afterVersion, envelopes };
    const tableId = consumed.shape?.metaData.id ?? this.ctx?.known?.tableId ?? '';
    return {
      lastVersion: consumed.version,
      envelopes,
      ...(this.skipped.length > 0 ? { skipped: this.skipped } : {}),
      mark: {
        tableId,
        lastCommitGeneration: listing.commits.get(consumed.version)?.generation ?? null,
        lastCommitSha256: consumed.sha256,
        ...(consumed.shape ? { shape: consumed.shape } : {}),
      },
    };
  }

  /** The rows added by one commit, or why they cannot be read; throws only when storage failed. */
  private async readRows(snapshot: Snapshot, adds: AddAction[]): Promise<DeltaRow[] | Problem> {
    const watched = new FailureWatchingStore(this.store, true);
    // A data file may hold at most the events one pass reads.
    const limits = participantTableLimits({ ...this.limits, parquetRows: Math.min(this.limits.parquetRows, this.limits.eventsPerPass) });
    const table = DeltaTable.handle(watched, this.bucket, this.prefix, limits);
    const rows: DeltaRow[] = [];
    try {
      // File by file: a commit may add many files, and their rows together must stay within the quota.
      for (const add of adds) {
        rows.push(...(await table.readAddedRows([add], snapshot)));
        if (rows.length > this.limits.eventsPerPass) {
          return { what: `it adds more than ${this.limits.eventsPerPass} events, the most read from one participant in a pass (events_per_pass)`, fix: SMALLER_COMMITS };
        }
      }
      return rows;
    } catch (error) {
      if (watched.failure) throw watched.failure;
      return problemOf(error);
    }
  }

  /** One ERROR event_status stands for the commit: a synthetic id no other row of this participant has. */
  private async skip(version: number, problem: Problem): Promise<EventEnvelope> {
    const message = `events commit ${version} of participant ${this.participant} (${this.where}) was skipped: ${problem.what}; its events were not read. Fix: ${problem.fix}`;
    this.skipped.push(message);
    return { participant: this.participant, eventsVersion: version, index: 0, row: {}, unreadable: message, syntheticId: await this.freshId(`no-uuid-v${version}-0`) };
  }

  private async freshId(base: string): Promise<string> {
    let id = base;
    for (let n = 2; this.idsUsed.has(id) || (await this.ctx?.hasStatus?.(id)); n++) id = `${base}-${n}`;
    this.idsUsed.add(id);
    return id;
  }

  /** A commit's actions, or why it cannot be used (above the size limit, not a Delta commit). */
  private async readCommit(entry: LogEntry, version: number): Promise<ReadCommit> {
    if (entry.size > this.limits.deltaCommitBytes) {
      return { problem: { what: `the commit file is ${entry.size} bytes, above the limit of ${describeBytes(this.limits.deltaCommitBytes)} (delta_commit_bytes)`, fix: SMALLER_COMMITS }, sha256: oversizedIdentity(entry) };
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.store.get(this.bucket, entry.key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return { problem: { what: `the commit file ${commitFileName(version)} disappeared while it was read`, fix: REWRITE }, sha256: '' };
    }
    const sha256 = sha256Hex(bytes);
    try {
      return { actions: parseCommit(new TextDecoder().decode(bytes)), sha256 };
    } catch (error) {
      return { problem: { what: `the commit file ${commitFileName(version)} is not a Delta commit (${(error as Error).message})`, fix: REWRITE }, sha256 };
    }
  }

  /** A bounded snapshot at `version` (latest when undefined), or the one ERROR row saying why there is none. */
  private async snapshotAt(version?: number): Promise<{ snapshot: Snapshot; table: DeltaTable; watched: FailureWatchingStore } | { blocked: NewEvents }> {
    const watched = new FailureWatchingStore(this.store, true);
    try {
      const table = await DeltaTable.open(watched, this.bucket, this.prefix, participantTableLimits(this.limits));
      return { snapshot: await table.snapshot(version), table, watched };
    } catch (error) {
      if (watched.failure) throw watched.failure;
      if (error instanceof DeltaTableNotFoundError) throw error;
      return { blocked: await this.blocked(problemOf(error)) };
    }
  }

  /** The table cannot be read at all: one ERROR row, and no further attempt until its log changes. */
  private async blocked(problem: Problem): Promise<NewEvents> {
    const listing = await this.listFrom(0, Infinity, true);
    const message = `the events table of participant ${this.participant} (${this.where}) cannot be read: ${problem.what}; no event after version ${listing.latest} was read. Fix: ${problem.fix}`;
    this.skipped.push(message);
    const known = this.ctx?.known;
    const id = await this.freshId(`no-uuid-table-v${listing.latest}`);
    return {
      lastVersion: this.afterVersion,
      envelopes: [{ participant: this.participant, eventsVersion: listing.latest, index: 0, row: {}, unreadable: message, syntheticId: id }],
      skipped: this.skipped,
      mark: {
        tableId: known?.tableId ?? '',
        lastCommitGeneration: known?.lastCommitGeneration ?? null,
        lastCommitSha256: known?.lastCommitSha256 ?? null,
        ...(known?.shape ? { shape: known.shape } : {}),
        blocked: { latest: listing.latest, generation: listing.commits.get(listing.latest)?.generation ?? null },
      },
    };
  }

  /** Every row of the current snapshot whose event was never processed, in timestamp order (bounded). */
  private async reread(why: string): Promise<NewEvents> {
    const start = await this.snapshotAt();
    if ('blocked' in start) return start.blocked;
    const { snapshot, table, watched } = start;
    if (snapshot.files.length > this.limits.eventsCommitsPerPass) {
      return this.blocked({
        what: `${why}, and its snapshot has ${snapshot.files.length} data files, more than the ${this.limits.eventsCommitsPerPass} the clean room re-reads (events_commits_per_pass)`,
        fix: 'recreate the events table with only the events not processed yet (control.event_status lists the processed ones)',
      });
    }
    let unreadable = 0;
    const rows: DeltaRow[] = [];
    for (const file of snapshot.files) {
      try {
        rows.push(...(await table.readSnapshotFile(snapshot, file)));
      } catch (error) {
        if (watched.failure) throw watched.failure;
        unreadable++;
      }
      if (rows.length > this.limits.eventsPerPass) {
        return this.blocked({
          what: `${why}, and its snapshot holds more than ${this.limits.eventsPerPass} events, more than the clean room re-reads (events_per_pass)`,
          fix: 'recreate the events table with only the events not processed yet (control.event_status lists the processed ones)',
        });
      }
    }
    const ordered = rows
      .map((row, position) => ({ row, position, time: typeof row.timestamp === 'bigint' ? row.timestamp : 0n }))
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.position - b.position));
    const envelopes: EventEnvelope[] = [];
    let withoutUuid = 0;
    for (const { row } of ordered) {
      const envelope: EventEnvelope = { participant: this.participant, eventsVersion: snapshot.version, index: envelopes.length, row };
      const parsed = parseEvent(envelope, this.limits);
      const key = parsed.ok ? parsed.event.dedupKey : parsed.error.dedupKey;
      if (key === null) withoutUuid++;
      else if (!(await this.ctx?.isProcessed(key))) envelopes.push(envelope);
    }
    const listing = await this.listFrom(snapshot.version, snapshot.version);
    const lastCommit = listing.commits.get(snapshot.version);
    const notes =
      (withoutUuid > 0 ? `; ${withoutUuid} rows without a usable uuid were skipped (they cannot be told apart from rows already processed)` : '') +
      (unreadable > 0 ? `; ${unreadable} data files could not be read (above a limit or damaged: their events are skipped, send them again in smaller commits)` : '');
    return {
      lastVersion: snapshot.version,
      envelopes,
      mark: {
        tableId: snapshot.metadata.id,
        lastCommitGeneration: lastCommit?.generation ?? null,
        lastCommitSha256: lastCommit ? await this.commitIdentity(lastCommit) : null,
        shape: shapeOf(snapshot.protocol, snapshot.metadata),
      },
      reread: `WARNING: ${why}; re-read the whole table at version ${snapshot.version}: ${envelopes.length} events not processed before were found${notes}`,
    };
  }

  /** sha256 of a commit file, or `oversized:<size>` for one above the limit (never read). */
  private async commitIdentity(entry: LogEntry): Promise<string | null> {
    if (entry.size > this.limits.deltaCommitBytes) return oversizedIdentity(entry);
    try {
      return sha256Hex(await this.store.get(this.bucket, entry.key));
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  /**
   * One listing of the log from `version`'s commit name: commits (with generations) and the newest version seen.
   * It stops past `until` and after `listedObjects` objects (`all`: to the end, still within that bound), so a
   * log of millions of files costs a bounded number of list calls.
   */
  private async listFrom(version: number, until: number, all = false): Promise<Listing> {
    const prefix = logPrefix(this.prefix);
    const commits = new Map<number, LogEntry>();
    let latest = -1;
    let seen = 0;
    for await (const object of listAll(this.store, this.bucket, prefix, prefix + commitFileName(version))) {
      const file = classifyLogKey(object.key);
      if (file && file.kind !== 'lastCheckpoint') {
        if (file.kind === 'commit') commits.set(file.version, { key: file.key, generation: object.generation ?? null, size: object.size });
        latest = Math.max(latest, file.version);
      }
      if (++seen >= this.limits.listedObjects || (!all && latest > until)) break;
    }
    return { commits, latest };
  }
}

function oversizedIdentity(entry: LogEntry): string {
  return `oversized:${entry.size}`;
}

/** The protocol and metaData a reader needs, as kept in the state (no name, description or creation time). */
function shapeOf(protocol: ProtocolAction, metadata: MetadataAction): EventsTableShape {
  const { id, format, schemaString, partitionColumns, configuration } = metadata;
  return { protocol, metaData: { id, format, schemaString, partitionColumns, configuration } };
}

function currentShape(state: SnapshotState): EventsTableShape | undefined {
  return state.protocol && state.metadata ? shapeOf(state.protocol, state.metadata) : undefined;
}

function applyShape(state: SnapshotState, shape: EventsTableShape): void {
  state.apply(-1, [{ protocol: shape.protocol }, { metaData: { ...shape.metaData, name: null, description: null, createdTime: null } }]);
}

/** Applies a commit's protocol and metaData actions (never its files); why not, when the new shape is too large. */
function withShapeActions(state: SnapshotState, actions: Action[], version: number): Problem | undefined {
  const shaping = actions.filter((a) => 'protocol' in a || 'metaData' in a);
  if (shaping.length === 0) {
    state.version = version;
    return state.protocol && state.metadata ? undefined : { what: 'no protocol and metaData action precedes it (the table is not a Delta table the clean room can read)', fix: REWRITE };
  }
  const next = state.clone();
  next.apply(version, shaping);
  if (next.protocol && next.metadata) {
    const size = Buffer.byteLength(JSON.stringify(shapeOf(next.protocol, next.metadata)));
    if (size > MAX_TABLE_SHAPE_BYTES) {
      return { what: `its protocol and metaData take ${size} bytes, above the ${MAX_TABLE_SHAPE_BYTES} bytes an events table needs`, fix: 'keep the events table\'s schema and properties as the cleanroom CLI creates them' };
    }
  }
  state.protocol = next.protocol;
  state.metadata = next.metadata;
  state.version = version;
  if (!state.protocol || !state.metadata) return { what: 'no protocol and metaData action precedes it (the table is not a Delta table the clean room can read)', fix: REWRITE };
  return undefined;
}

function problemOf(error: unknown): Problem {
  const message = (error as Error).message;
  if (error instanceof UnsupportedDeltaFeatureError) return { what: message, fix: unsupportedFix(error) };
  if (error instanceof NotFoundError) return { what: `a file it names is missing (${message})`, fix: REWRITE };
  if (/limit/.test(message)) return { what: message, fix: SMALLER_COMMITS };
  return { what: message, fix: REWRITE };
}

function unsupportedFix(error: unknown): string {
  if (error instanceof UnsupportedDeltaFeatureError) {
    return `recreate control/events without "${error.feature}" (the cleanroom CLI creates it as the clean room reads it) and send the events again`;
  }
  return REWRITE;
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

/** The read context for a participant, from the state the pass decides on and its history (state-store.ts). */
export function readContextFor(state: CleanroomState, participant: string, limits?: Limits, history?: StateHistory): ReadContext {
  const statuses = state.eventStatus[participant] ?? [];
  let ids: Set<string> | undefined;
  return {
    known: recordOf(state.eventsTables ?? {}, participant),
    isProcessed: async (key) => {
      if (isProcessedEvent(state, key)) return true;
      if (!history) return false;
      await history.prefetch({ dedupKeys: [key] });
      return isProcessedEvent(state, key, { history: history.lookup() });
    },
    hasStatus: async (id) => (ids ??= new Set(statuses.map((s) => s.eventUuid))).has(id) || (history !== undefined && (await history.hasStatus(participant, id))),
    limits,
  };
}
