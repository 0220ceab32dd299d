/**
 * Publishing each participant's view: each control table is the rows that may still change (datasets, code,
 * approvals, live jobs and runs: *live* files, sharded by row (live-shards.ts), a shard rewritten when the content hash
 * of its rows changes) plus the rows that never
 * change again (event statuses, jobs and runs that are over: *sealed* files appended from the participants' decision
 * chains, runtime/state/decision-chains.ts, and merged when a newer file grows as large as the one before). So a pass
 * writes what changed, not the table. Each commit is created at exactly the version after the clean room's last one
 * (no blind retry); code objects are copied from the state bucket into every bucket allowed to see them.
 *
 * Participants can write their own buckets, so what was published may have been tampered with. After each commit the
 * table's folder is listed and the hash of that listing (names, sizes, generations) is recorded with the files; a
 * table is checked by listing it again whenever something is published to that participant anyway, after a lost
 * compare-and-swap, and otherwise once every PUBLISHED_CHECK_INTERVAL_MS (clean room time). Any difference — a forged
 * commit or checkpoint, a data file rewritten in place (new generation), a file deleted, a commit of a concurrent pass
 * — and the table is republished whole from the state and the chains (a table made unusable is replaced). Code copies
 * cost one read each, so they are read and hashed against their name only at that scheduled check and after a lost
 * swap (a copy missing from the state's record is written whenever found). An idle pass still writes nothing and lists
 * only events logs.
 *
 * Each table is published independently: one that fails is reported and retried next pass without holding back the
 * others. Log files older than the newest checkpoint and data files no longer in the table are removed (the tables are
 * the clean room's own), so a table's folder stays a few dozen objects at any age.
 */
import type { ApprovalPolicy } from '../config/approval-schema';
import { createHash } from 'node:crypto';
import { classifyLogKey, type Action, type AddAction } from '../delta/actions';
import type { DeltaRow } from '../delta/schema-types';
import { DeltaTable } from '../delta/table';
import { CONTROL_TABLES, controlTableKey } from '../control/tables';
import { DEFAULT_LIMITS, type Limits } from '../limits';
import type { ParticipantInfo } from '../processor/context';
import { MAX_NOTEBOOK_BYTES, sha256Hex } from '../processor/code-content';
import { codeBlobKey } from '../processor/effects';
import type { CleanroomState, LiveFile, PublishedFile, PublishedTableRecord, SealedFile } from '../processor/state';
import { codeObjectsFor, viewFor, type ParticipantView, type PublishedTable } from '../processor/views';
import { listAll, type ObjectInfo, type ObjectStore } from '../storage/object-store';
import { liveShards, recordedLiveFiles } from './live-shards';
import { participantTableLimits, withTimeBudget, type BudgetTimer } from './participant-io';
import { publishControlTable } from './published-tables';
import { sealedHeads, sealedRows } from './sealed-rows';
import type { StateHistory } from './state-store';

/** How often (clean room time) a participant with nothing to publish has its published tables checked. */
export const PUBLISHED_CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** Sealed files are merged up to this many rows. */
const SEALED_FILE_ROWS = 50_000;
/** A table folder listed for a check holds at most this many objects before it counts as tampered with. */
const LISTED_TABLE_OBJECTS = 1000;

export interface PublishReport {
  tables: Array<{ participant: string; table: PublishedTable }>;
  codeObjects: number;
  /** Tampered, corrupt or missing published content that was restored, and why. */
  repaired: string[];
  errors: string[];
}

export interface PublishIo {
  store: ObjectStore;
  stateBucket: string;
  participants: readonly ParticipantInfo[];
  keeper: string;
  /** Check every table (after a lost compare-and-swap another pass may have published another view). */
  force: boolean;
  /** Clean room time (epoch ms), for the scheduled check. */
  now: number;
  checkIntervalMs?: number;
  /** Bounds on reading back what participants may have changed, and the time budget per participant (default: DEFAULT_LIMITS). */
  limits?: Limits;
  /** The clock of participants' time budgets (default: the system clock). */
  budgetTimer?: BudgetTimer;
  /** Who approves code: its approvers see it to review it (default: the keeper). */
  approval?: ApprovalPolicy;
}

/** `history`: where the sealed rows come from (absent: `state` holds everything, and every row is live). */
export async function publishViews(state: CleanroomState, io: PublishIo, report: PublishReport, history?: StateHistory): Promise<void> {
  const limits = io.limits ?? DEFAULT_LIMITS;
  for (const participant of io.participants) {
    // One unreachable, slow or hanging bucket must not stop the others; what was not published is retried next pass.
    await withTimeBudget(io.store, limits.participantReadTimeoutMs, `publishing to gs://${participant.bucket}`, (store) =>
      publishParticipant(state, { ...io, store, limits }, participant, report, history),
    io.budgetTimer);
  }
}

/** One table of one participant, as the pass sees it. */
interface TableWork {
  table: PublishedTable;
  live: DeltaRow[];
  liveHash: string;
  liveShards: ReturnType<typeof liveShards>['shards'];
  /** Per source chain: entries the table should hold in the end. */
  heads: Record<string, number>;
}

async function publishParticipant(state: CleanroomState, io: PublishIo, participant: ParticipantInfo, report: PublishReport, history: StateHistory | undefined): Promise<void> {
  const policy = { participants: io.participants, ...(io.approval ? { approval: io.approval } : {}) };
  const view: ParticipantView = viewFor(state, participant, io.keeper, policy);
  const records = ((state.publishedTables ??= {})[participant.name] ??= {});
  const checkedAt = (state.publishedCheckedAt ??= {})[participant.name];
  const doneCode = new Set(state.publishedCode[participant.name] ?? []);
  const codeObjects = codeObjectsFor(state, participant, io.keeper, policy);
  const work: TableWork[] = (Object.keys(view) as PublishedTable[]).map((table) => {
    const live = liveShards(view[table]);
    return { table, live: view[table], liveHash: live.hash, liveShards: live.shards, heads: history ? sealedHeads(table, participant, io.keeper, history) : {} };
  });

  const changed = new Set(work.filter((w) => !upToDate(recordOf(records, w.table), w)).map((w) => w.table));
  const due = checkedAt === undefined || io.now - checkedAt >= (io.checkIntervalMs ?? PUBLISHED_CHECK_INTERVAL_MS);
  const check = io.force || changed.size > 0 || codeObjects.some((o) => !doneCode.has(o.key)) || due;
  if (!check) return; // idle for this participant: no request at all

  let clean = true;
  const where = `${participant.name} (gs://${participant.bucket})`;
  for (const w of work) {
    try {
      await publishTable(io, participant, w, records, report, history);
    } catch (error) {
      clean = false;
      // The table may now hold part of what was written (an overwrite without its rows): the next pass republishes
      // it even when nothing else changes for this participant.
      const record = recordOf(records, w.table);
      if (record) records[w.table] = { ...record, listing: null, failed: true };
      report.errors.push(`publishing control.${w.table} to ${where} failed: ${(error as Error).message}`);
    }
  }
  // The scheduled check (and a lost swap) also reads back every code copy. Only the scheduled check restarts the
  // interval, so concurrent passes keep the same schedule as sequential ones.
  const verifyCode = io.force || due;
  try {
    await publishCode(state, io, participant, codeObjects, verifyCode, report);
  } catch (error) {
    clean = false;
    report.errors.push(`publishing code to ${where} failed: ${(error as Error).message}`);
  }
  if (clean && due) state.publishedCheckedAt[participant.name] = io.now;
}

function recordOf(records: Record<string, PublishedTableRecord>, table: PublishedTable): PublishedTableRecord | undefined {
  return Object.hasOwn(records, table) ? records[table] : undefined;
}

function upToDate(record: PublishedTableRecord | undefined, w: TableWork): boolean {
  return record !== undefined && record.failed !== true && record.liveHash === w.liveHash && Object.entries(w.heads).every(([chain, head]) => (record.cursors[chain] ?? 0) >= head);
}

/** Checks the table by its listing, then appends what is new to it, or republishes it whole when it is not as recorded. */
async function publishTable(
  io: PublishIo,
  participant: ParticipantInfo,
  w: TableWork,
  records: Record<string, PublishedTableRecord>,
  report: PublishReport,
  history: StateHistory | undefined,
): Promise<void> {
  const record = recordOf(records, w.table);
  const problem = record ? await listingProblem(io.store, participant.bucket, w.table, record) : 'it was never published in this layout';
  if (problem === null) {
    if (upToDate(record, w)) return;
    const next = await appendNew(io, participant, w, record!, history);
    if (next) {
      if (next.version !== record!.version) report.tables.push({ participant: participant.name, table: w.table });
      records[w.table] = next;
      return;
    }
  }
  // Never published (or by a runtime before this layout), not as recorded, or another writer committed first.
  const outcome = await republish(io, participant, w, history, record, problem?.startsWith('it holds more than') ? problem : undefined);
  records[w.table] = outcome.record;
  report.tables.push({ participant: participant.name, table: w.table });
  if (outcome.replaced) report.repaired.push(`${participant.name}: control.${w.table} was replaced because ${outcome.replaced}`);
  else if (record && problem !== null) report.repaired.push(`${participant.name}: control.${w.table} was republished because ${problem}`);
}

/** Why the table's folder is not what the clean room last committed, or null when it is. */
async function listingProblem(store: ObjectStore, bucket: string, table: PublishedTable, record: PublishedTableRecord): Promise<string | null> {
  const listing = await listTable(store, bucket, table);
  if (listing === undefined) return `it holds more than ${LISTED_TABLE_OBJECTS} objects`;
  if (listing.objects.length === 0) return 'it is missing';
  if (record.listing === null || listingHash(listing.objects) !== record.listing) return 'its files are not the ones the clean room published (changed, added or removed)';
  return null;
}

/** Commits the new sealed rows and the changed live rows at the version after the recorded one; undefined when that version was taken. */
async function appendNew(io: PublishIo, participant: ParticipantInfo, w: TableWork, record: PublishedTableRecord, history: StateHistory | undefined): Promise<PublishedTableRecord | undefined> {
  const schema = CONTROL_TABLES[w.table];
  const table = ownTable(io, participant, w.table);
  const actions: Action[] = [];
  const now = Date.now();
  const removeOf = (file: PublishedFile): Action => ({ remove: { path: file.path, deletionTimestamp: now, dataChange: true, extendedFileMetadata: true, partitionValues: {}, size: file.size } });
  let liveFiles = recordedLiveFiles(record);
  if (record.liveHash !== w.liveHash) {
    // Only the shards whose rows changed are rewritten.
    const shards = w.liveShards;
    const next: Record<string, LiveFile> = {};
    for (const [shard, file] of Object.entries(liveFiles)) if (shards.get(shard)?.hash !== file.hash) actions.push(removeOf(file));
    for (const [shard, { rows, hash }] of shards) {
      const current = Object.hasOwn(liveFiles, shard) ? liveFiles[shard] : undefined;
      if (current && current.hash === hash) {
        next[shard] = current;
        continue;
      }
      const add = await table.writeUncommittedFile(schema, rows);
      actions.push({ add });
      next[shard] = { ...fileOf(add), hash };
    }
    liveFiles = next;
  }
  const sealed = [...record.sealed];
  const ranges: Record<string, [number, number]> = {};
  for (const [chain, head] of Object.entries(w.heads)) if ((record.cursors[chain] ?? 0) < head) ranges[chain] = [record.cursors[chain] ?? 0, head];
  if (Object.keys(ranges).length > 0 && history) {
    let rows = await sealedRows(w.table, participant, io.keeper, history, ranges);
    // Merge while the previous file is not much larger: O(log n) files, each row rewritten O(log n) times.
    while (sealed.length > 0 && rows.length > 0) {
      const previous = sealed[sealed.length - 1];
      if (previous.rows > 2 * rows.length || previous.rows + rows.length > SEALED_FILE_ROWS) break;
      for (const [chain, [from, to]] of Object.entries(previous.ranges)) {
        const [f, t] = ranges[chain] ?? [from, to];
        ranges[chain] = [Math.min(from, f), Math.max(to, t)];
      }
      rows = await sealedRows(w.table, participant, io.keeper, history, ranges);
      actions.push(removeOf(previous));
      sealed.pop();
    }
    if (rows.length > 0) {
      const add = await table.writeUncommittedFile(schema, rows);
      actions.push({ add });
      sealed.push({ ...fileOf(add), rows: rows.length, ranges });
    }
  }
  // Nothing to write (the new entries were of other tables' kinds): only the cursors move.
  if (actions.length === 0) return { ...record, cursors: { ...record.cursors, ...w.heads } };
  const version = record.version + 1;
  if (!(await table.commitAt(version, actions))) return undefined;
  const removed = [...record.removed, ...actions.flatMap((a) => ('remove' in a ? [{ path: a.remove.path, size: a.remove.size ?? 0, version }] : []))];
  const settled = await settleTable(io.store, participant.bucket, w.table, version, removed);
  return { version, listing: settled.listing, liveHash: w.liveHash, liveFiles, sealed, cursors: { ...record.cursors, ...w.heads }, removed: settled.removed };
}

/**
 * The whole table anew: every sealed row in one file, then the live rows in another. `replace`: why the table is
 * deleted and written afresh instead of overwritten.
 */
async function republish(io: PublishIo, participant: ParticipantInfo, w: TableWork, history: StateHistory | undefined, previous: PublishedTableRecord | undefined, replace?: string): Promise<{ record: PublishedTableRecord; replaced?: string }> {
  const ranges: Record<string, [number, number]> = Object.fromEntries(Object.entries(w.heads).map(([chain, head]) => [chain, [0, head]]));
  const rows = history ? await sealedRows(w.table, participant, io.keeper, history, ranges) : [];
  const outcome = await publishControlTable(io.store, participant.bucket, w.table, rows, io.limits, replace);
  const table = ownTable(io, participant, w.table);
  const sealed: SealedFile[] = outcome.files.map((file) => ({ ...file, rows: rows.length, ranges }));
  let version = outcome.version;
  const liveFiles: Record<string, LiveFile> = {};
  if (w.live.length > 0) {
    const adds: Action[] = [];
    for (const [shard, { rows: shardRows, hash }] of w.liveShards) {
      const add = await table.writeUncommittedFile(CONTROL_TABLES[w.table], shardRows);
      adds.push({ add });
      liveFiles[shard] = { ...fileOf(add), hash };
    }
    if (!(await table.commitAt(version + 1, adds))) {
      throw new Error(`control.${w.table} was written by someone else while the clean room republished it; retried next pass`);
    }
    version += 1;
  }
  // What the previous record held is no longer in the table (the overwrite removed it).
  const previousFiles = previous ? [...Object.values(recordedLiveFiles(previous)), ...previous.sealed] : [];
  const removed = outcome.replaced ? [] : [...(previous?.removed ?? []), ...previousFiles.map((f) => ({ path: f.path, size: f.size, version: outcome.version }))];
  const settled = await settleTable(io.store, participant.bucket, w.table, version, removed);
  const record: PublishedTableRecord = { version, listing: settled.listing, liveHash: w.liveHash, liveFiles, sealed, cursors: { ...w.heads }, removed: settled.removed };
  return { record, ...(outcome.replaced ? { replaced: outcome.replaced } : {}) };
}

/** The published table, for writing (no read until a checkpoint, and then within the participant read limits). */
function ownTable(io: PublishIo, participant: ParticipantInfo, table: PublishedTable): DeltaTable {
  return DeltaTable.handle(io.store, participant.bucket, controlTableKey(table), participantTableLimits(io.limits ?? DEFAULT_LIMITS));
}

function fileOf(add: AddAction): PublishedFile {
  return { path: add.path, size: add.size };
}

/**
 * After a commit at `version`: once a checkpoint is there, removes the log files older than it and the data files the
 * clean room removed from the table before it (readers of older versions had a checkpoint interval to finish), then
 * lists the folder for the record. The listing is null when it shows a commit after `version` (another writer: the
 * next check republishes). Returns the removed files still to delete.
 */
async function settleTable(store: ObjectStore, bucket: string, table: PublishedTable, version: number, removed: ReadonlyArray<PublishedFile & { version: number }>): Promise<{ listing: string | null; removed: Array<PublishedFile & { version: number }> }> {
  const folder = `${controlTableKey(table)}/`;
  let listing = await listTable(store, bucket, table);
  if (listing === undefined) return { listing: null, removed: [...removed] };
  const checkpoint = Math.max(-1, ...listing.objects.flatMap((o) => logVersion(o, 'checkpoint')).filter((v) => v <= version));
  const dueFiles = removed.filter((f) => f.version <= checkpoint);
  const stale = [
    ...listing.objects.filter((o) => { const f = classifyLogKey(o.key); return f !== undefined && f.kind !== 'lastCheckpoint' && f.version < checkpoint; }).map((o) => o.key),
    ...dueFiles.map((f) => folder + decodeURIComponent(f.path)),
  ];
  if (stale.length > 0) {
    for (const key of stale) await store.delete(bucket, key);
    listing = await listTable(store, bucket, table);
    if (listing === undefined) return { listing: null, removed: [] };
  }
  const newest = Math.max(-1, ...listing.objects.flatMap((o) => logVersion(o, 'commit')));
  return { listing: newest === version ? listingHash(listing.objects) : null, removed: removed.filter((f) => f.version > checkpoint) };
}

function logVersion(object: ObjectInfo, kind: 'commit' | 'checkpoint'): number[] {
  const file = classifyLogKey(object.key);
  return file && file.kind === kind ? [file.version] : [];
}

async function listTable(store: ObjectStore, bucket: string, table: PublishedTable): Promise<{ objects: ObjectInfo[] } | undefined> {
  const objects: ObjectInfo[] = [];
  for await (const object of listAll(store, bucket, `${controlTableKey(table)}/`)) {
    objects.push(object);
    if (objects.length > LISTED_TABLE_OBJECTS) return undefined;
  }
  return { objects };
}

function listingHash(objects: readonly ObjectInfo[]): string {
  const lines = objects.map((o) => `${o.key}\t${o.size}\t${o.generation ?? ''}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Copies missing code objects; with `verify`, also restores copies whose content no longer matches their sha256. */
async function publishCode(
  state: CleanroomState,
  io: PublishIo,
  participant: ParticipantInfo,
  objects: ReadonlyArray<{ key: string; hash: string }>,
  verify: boolean,
  report: PublishReport,
): Promise<void> {
  const done = new Set(state.publishedCode[participant.name] ?? []);
  // Sizes first (one listing): a copy larger than any code the clean room stores is not read to be found wrong.
  const listed = verify && objects.some((o) => done.has(o.key)) ? await listedSizes(io.store, participant.bucket, io.limits ?? DEFAULT_LIMITS) : undefined;
  for (const object of objects) {
    if (done.has(object.key)) {
      if (!listed) continue;
      const problem = await codeCopyProblem(io.store, participant.bucket, object, listed);
      if (problem === null) continue;
      report.repaired.push(`${participant.name}: gs://${participant.bucket}/${object.key} ${problem}; restored`);
    }
    const content = await io.store.get(io.stateBucket, codeBlobKey(object.hash));
    // put, not createIfAbsent: whatever a participant left at that key is replaced by the reviewed content.
    await io.store.put(participant.bucket, object.key, content);
    report.codeObjects++;
    done.add(object.key);
    state.publishedCode[participant.name] = [...done].sort();
  }
}

async function codeCopyProblem(store: ObjectStore, bucket: string, object: { key: string; hash: string }, listed: ReadonlyMap<string, number>): Promise<string | null> {
  const size = listed.get(object.key);
  if (size === undefined) return 'was deleted';
  if (size > MAX_NOTEBOOK_BYTES) return `is ${size} bytes, larger than any code the clean room stores`;
  return sha256Hex(await store.get(bucket, object.key)) === object.hash ? null : 'does not match its sha256';
}

/** Sizes of the objects under `code/` (at most listedObjects of them: past that, copies count as missing and are rewritten). */
async function listedSizes(store: ObjectStore, bucket: string, limits: Limits): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const object of listAll(store, bucket, 'code/')) {
    sizes.set(object.key, object.size);
    if (sizes.size >= limits.listedObjects) break;
  }
  return sizes;
}
