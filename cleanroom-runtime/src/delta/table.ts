/**
 * A Delta Lake table over an ObjectStore (Delta protocol): reads reader versions 1-3 with deletion vectors, column
 * mapping and timestamp_ntz (protocol-support.ts); writes writer version 2, commits created with put-if-absent, so
 * any number of writers (processes or hosts) can append concurrently without losing rows.
 */
import { randomUUID } from 'node:crypto';
import { Action, AddAction, checkpointFileName, commitFileName, encodeLogPath, logPrefix, MetadataAction, ProtocolAction, serializeCommit } from './actions';
import { encodeCheckpoint } from './checkpoint';
import { encodeDataFile, validateValue } from './data-file';
import { bitmapFromFile, deletedRowIndexes, locateDeletionVector, withoutDeletedRows } from './deletion-vectors';
import { DataFileTooLargeError, DeltaTableExistsError, DeltaTableNotFoundError, DeltaWriteError, InvalidDeletionVectorError, ReadLimitError, UnsupportedDeltaFeatureError } from './errors';
import {
  describeLocation,
  findLatestVersion,
  listLog,
  loadState,
  LogReadLimits,
  mapLimit,
  readCommitActions,
  readCommitsAfter,
  readLastCheckpoint,
  TableLocation,
  tableKey,
} from './log-reader';
import { ParquetLimitError, type ParquetLimits } from './parquet-bounds';
import { newlyAddedFiles } from './new-files';
import { readParquet } from './parquet-read';
import { formatPartitionValue, partitionDirectory } from './partition-values';
import { checkWritableSchema, checkWriteSupport, WRITTEN_PROTOCOL } from './protocol-support';
import { fileColumnsFor, toDeltaRows } from './read-rows';
import type { DeltaRow, StructType } from './schema-types';
import { Snapshot, SnapshotFile, snapshotFile, toSnapshot } from './snapshot';
import { SnapshotState } from './snapshot-state';
import { computeStats } from './stats';
import { AlreadyExistsError, NotFoundError, ObjectStore } from '../storage/object-store';
import { version as packageVersion } from '../../package.json';

export const ENGINE_INFO = `cleanroom/${packageVersion}`;
/** A checkpoint is written by the committer of every version divisible by this. */
export const CHECKPOINT_INTERVAL = 10;
const MAX_COMMIT_ATTEMPTS = 500;
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface CreateTableOptions {
  partitionColumns?: string[];
  configuration?: Record<string, string>;
  description?: string;
}

export interface WriteOptions {
  /** Extra commitInfo fields (e.g. what triggered the write); `timestamp` and `engineInfo` are always set here. */
  commitInfo?: Record<string, unknown>;
}

export interface CommitEntry {
  version: number;
  actions: Action[];
}

export interface HistoryEntry {
  version: number;
  timestamp?: number;
  operation?: string;
  commitInfo: Record<string, unknown>;
}

/** Size limits for reading an untrusted table (default: none); see LogReadLimits for the log files. */
export interface TableReadLimits extends LogReadLimits {
  /** Data files (and deletion vector files) above this, by `add.size` or listed size, throw DataFileTooLargeError instead of being read. */
  maxDataFileBytes?: number;
  /** Rows and decoded size of one data file; a file above them throws ReadLimitError instead of being decoded. */
  dataFileParquet?: ParquetLimits;
}

/** A deletion vector file is never read whole above this (one file may hold the vectors of many data files). */
const DEFAULT_MAX_DV_FILE_BYTES = 64 * 1024 * 1024;

/** Deletion vector files fetched during one read, by object key: many data files can share one. */
type DvFileCache = Map<string, Promise<Uint8Array>>;

export class DeltaTable {
  /** `gs://bucket/prefix` of the table, for messages. */
  readonly location: string;
  /** The last checkpoint failure (checkpoints never fail a commit), for diagnostics. */
  lastCheckpointError?: Error;
  private readonly loc: TableLocation;
  /** Latest state this object has seen; refreshed incrementally with one list call. */
  private latest?: SnapshotState;

  private constructor(store: ObjectStore, bucket: string, prefix: string, private readonly limits: TableReadLimits = {}) {
    this.loc = { store, bucket, prefix: prefix.replace(/\/+$/, ''), limits };
    this.location = describeLocation(this.loc);
  }

  /** Opens an existing table; throws DeltaTableNotFoundError when there is no Delta log at the location. */
  static async open(store: ObjectStore, bucket: string, prefix: string, limits?: TableReadLimits): Promise<DeltaTable> {
    const table = new DeltaTable(store, bucket, prefix, limits);
    if ((await findLatestVersion(table.loc)) === undefined) throw new DeltaTableNotFoundError(table.location);
    return table;
  }

  /**
   * A handle on a table without any request (no check that it exists): for readers that follow the log themselves
   * and only need rows of the files its commits add (readAddedRows with a snapshot they built).
   */
  static handle(store: ObjectStore, bucket: string, prefix: string, limits?: TableReadLimits): DeltaTable {
    return new DeltaTable(store, bucket, prefix, limits);
  }

  /** Creates an empty table at version 0 (protocol reader 1 / writer 2, no table features); throws DeltaTableExistsError if one exists. */
  static async create(store: ObjectStore, bucket: string, prefix: string, schema: StructType, opts: CreateTableOptions = {}): Promise<DeltaTable> {
    const table = new DeltaTable(store, bucket, prefix);
    const partitionColumns = opts.partitionColumns ?? [];
    validateNewSchema(table.location, schema, partitionColumns, opts.configuration ?? {});
    if ((await findLatestVersion(table.loc)) !== undefined) throw new DeltaTableExistsError(table.location);
    const now = Date.now();
    const protocol: ProtocolAction = { ...WRITTEN_PROTOCOL };
    const metaData: MetadataAction = {
      id: randomUUID(),
      name: null,
      description: opts.description ?? null,
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify(schema),
      partitionColumns,
      configuration: { ...(opts.configuration ?? {}) },
      createdTime: now,
    };
    const commitInfo = {
      timestamp: now,
      operation: 'CREATE TABLE',
      operationParameters: { partitionBy: JSON.stringify(partitionColumns), description: opts.description ?? null, properties: JSON.stringify(metaData.configuration) },
      isBlindAppend: true,
      engineInfo: ENGINE_INFO,
      txnId: randomUUID(),
    };
    const actions: Action[] = [{ commitInfo }, { protocol }, { metaData }];
    if (!(await table.tryCommit(0, actions))) throw new DeltaTableExistsError(table.location);
    const state = new SnapshotState();
    state.apply(0, actions);
    table.latest = state;
    return table;
  }

  /** Opens the table (with `readLimits` when it lives in an untrusted bucket), creating it (empty) when absent; safe against concurrent creators. */
  static async openOrCreate(store: ObjectStore, bucket: string, prefix: string, schema: StructType, opts: CreateTableOptions = {}, readLimits?: TableReadLimits): Promise<DeltaTable> {
    try {
      return await DeltaTable.open(store, bucket, prefix, readLimits);
    } catch (err) {
      if (!(err instanceof DeltaTableNotFoundError)) throw err;
    }
    try {
      return await DeltaTable.create(store, bucket, prefix, schema, opts);
    } catch (err) {
      if (err instanceof DeltaTableExistsError) return DeltaTable.open(store, bucket, prefix, readLimits);
      throw err;
    }
  }

  /**
   * The latest version (or `version`, time travel). Throws UnsupportedDeltaFeatureError for tables this reader must
   * refuse, including a live file outside the table's bucket (another party's data, which must never be read as this table's).
   */
  async snapshot(version?: number): Promise<Snapshot> {
    const state = version === undefined ? await this.refreshLatest() : await loadState(this.loc, version);
    const snapshot = toSnapshot(state, this.location);
    for (const file of snapshot.files) {
      this.fileKey(file.path);
      if (file.deletionVector) this.deletionVectorSource(file);
    }
    return snapshot;
  }

  /** Every row of the latest version, of `version`, or of a snapshot already taken. */
  async readRows(opts: { version?: number; fromSnapshot?: Snapshot } = {}): Promise<DeltaRow[]> {
    const snapshot = opts.fromSnapshot ?? (await this.snapshot(opts.version));
    const dvFiles: DvFileCache = new Map();
    const perFile = await mapLimit(snapshot.files, 8, (file) => this.readFile(snapshot, file, dvFiles));
    return perFile.flat();
  }

  /** Rows of one live file of `snapshot` (its deletion vector applied), for callers that handle each file's failure (e.g. too large) on its own. */
  async readSnapshotFile(snapshot: Snapshot, file: SnapshotFile): Promise<DeltaRow[]> {
    return this.readFile(snapshot, file, new Map());
  }

  /** Cheapest way to the latest version: `_last_checkpoint` + one listing (or one listing when already open). */
  async latestVersion(): Promise<number> {
    if (this.latest) {
      const listing = await listLog(this.loc, commitFileName(this.latest.version + 1));
      return Math.max(this.latest.version, ...listing.commits.keys());
    }
    const latest = await findLatestVersion(this.loc);
    if (latest === undefined) throw new DeltaTableNotFoundError(this.location);
    return latest;
  }

  /** Commits after `version`, oldest first, with a single list call when there are none. */
  async readCommitsSince(version: number): Promise<CommitEntry[]> {
    const commits = await readCommitsAfter(this.loc, version);
    for (const { version: v, actions } of commits) {
      for (const action of actions) {
        if ('protocol' in action || 'metaData' in action) {
          // A protocol/metadata change may make the table unreadable for this reader: re-check before rows are used.
          await this.snapshot(v);
          break;
        }
      }
    }
    return commits;
  }

  /**
   * Rows of files added by commits (from readCommitsSince), each with its deletion vector applied. Adds with
   * `dataChange: false` (compaction rewriting existing rows) are skipped. Typed by `snapshot` or the latest schema.
   * Incremental readers use readNewRows, which also skips files re-added with a new deletion vector.
   */
  async readAddedRows(adds: AddAction[], snapshot?: Snapshot): Promise<DeltaRow[]> {
    const schemaSource = snapshot ?? (await this.snapshot());
    const files = adds.filter((add) => add.dataChange).map(snapshotFile);
    const dvFiles: DvFileCache = new Map();
    return (await mapLimit(files, 8, (file) => this.readFile(schemaSource, file, dvFiles))).flat();
  }

  /**
   * The rows one commit's actions add to the table for the first time (new-files.ts): a DELETE/UPDATE/MERGE that
   * re-adds a file with a new deletion vector adds none, so an incremental reader sees every row exactly once.
   */
  async readNewRows(actions: Action[], snapshot?: Snapshot): Promise<DeltaRow[]> {
    return this.readAddedRows(newlyAddedFiles(actions), snapshot);
  }

  /** Appends rows as one commit; returns the committed version (the current version when `rows` is empty). */
  async append(rows: DeltaRow[], opts: WriteOptions = {}): Promise<number> {
    if (rows.length === 0) return this.latestVersion();
    return this.write(rows, 'Append', opts);
  }

  /** Replaces all rows in one commit (removes every live file, adds the new ones). Refused on appendOnly tables. */
  async overwrite(rows: DeltaRow[], opts: WriteOptions = {}): Promise<number> {
    return this.write(rows, 'Overwrite', opts);
  }

  /** Commit history, oldest first, from the commits still present in the log. */
  async history(): Promise<HistoryEntry[]> {
    const listing = await listLog(this.loc);
    if (!listing.commits.size && !listing.checkpoints.size) throw new DeltaTableNotFoundError(this.location);
    const versions = [...listing.commits.keys()].sort((a, b) => a - b);
    const commits = await mapLimit(versions, 16, (v) => (listing.oversizedCommits.has(v) ? Promise.resolve([]) : readCommitActions(this.loc, v, listing.commits.get(v))));
    return versions.map((version, i) => {
      const info = commits[i].find((a): a is { commitInfo: Record<string, unknown> } => 'commitInfo' in a)?.commitInfo ?? {};
      return {
        version,
        ...(typeof info.timestamp === 'number' ? { timestamp: info.timestamp } : {}),
        ...(typeof info.operation === 'string' ? { operation: info.operation } : {}),
        commitInfo: info,
      };
    });
  }

  // ---- internals ----

  private async refreshLatest(): Promise<SnapshotState> {
    if (!this.latest) {
      this.latest = await loadState(this.loc);
      return this.latest;
    }
    const commits = await readCommitsAfter(this.loc, this.latest.version);
    if (commits.length) {
      const next = this.latest.clone();
      for (const { version, actions } of commits) next.apply(version, actions);
      this.latest = next;
    }
    return this.latest;
  }

  private async readFile(snapshot: Snapshot, file: SnapshotFile, dvFiles: DvFileCache): Promise<DeltaRow[]> {
    const key = this.fileKey(file.path);
    await this.checkDataFileSize(file, key);
    const bytes = await this.loc.store.get(this.loc.bucket, key);
    const limits = this.limits.dataFileParquet;
    const contents = await readParquet(bytes, (fields) => fileColumnsFor(snapshot, fields), { exactMaps: true, limits }).catch((error: unknown) => {
      throw error instanceof ParquetLimitError ? new ReadLimitError(this.location, `its data file ${file.path} ${error.message}`) : error;
    });
    const rows = toDeltaRows(contents, snapshot, file.partitionValues, file.path);
    if (!file.deletionVector) return rows;
    return withoutDeletedRows(rows, await this.deletedRows(file, contents.numRows, dvFiles));
  }

  /** Row indexes the file's deletion vector deletes, checked against the file's `rowCount` rows. */
  private async deletedRows(file: SnapshotFile, rowCount: number, dvFiles: DvFileCache): Promise<number[]> {
    const dv = file.deletionVector!;
    const invalid = (error: unknown): InvalidDeletionVectorError => new InvalidDeletionVectorError(this.location, file.path, (error as Error).message);
    const source = this.deletionVectorSource(file);
    if (dv.cardinality === 0) return [];
    let bitmap: Uint8Array;
    if (source.kind === 'inline') bitmap = source.bitmap;
    else {
      let cached = dvFiles.get(source.key);
      if (!cached) {
        cached = this.readDvFile(source.path, source.key);
        dvFiles.set(source.key, cached);
      }
      const bytes = await cached;
      try {
        bitmap = bitmapFromFile(bytes, source.offset, dv.sizeInBytes);
      } catch (error) {
        throw invalid(error);
      }
    }
    try {
      return deletedRowIndexes(bitmap, dv.cardinality, rowCount);
    } catch (error) {
      throw invalid(error);
    }
  }

  /**
   * Where a file's deletion vector is (its descriptor checked): inline, or the object key of its file. An absolute
   * path must stay in this table's bucket, like a data file's (fileKey refuses others).
   */
  private deletionVectorSource(file: SnapshotFile): { kind: 'inline'; bitmap: Uint8Array } | { kind: 'file'; key: string; path: string; offset: number } {
    let location: ReturnType<typeof locateDeletionVector>;
    try {
      location = locateDeletionVector(file.deletionVector!);
    } catch (error) {
      throw new InvalidDeletionVectorError(this.location, file.path, (error as Error).message);
    }
    if (location.kind === 'inline') return location;
    const key = location.absolute ? this.fileKey(location.path) : tableKey(this.loc, location.path);
    return { kind: 'file', key, path: location.path, offset: location.offset };
  }

  /** A deletion vector file, read whole only below the size limit (its listed size, one list call). */
  private async readDvFile(path: string, key: string): Promise<Uint8Array> {
    const limit = this.limits.maxDataFileBytes ?? DEFAULT_MAX_DV_FILE_BYTES;
    const listed = (await this.loc.store.list(this.loc.bucket, key, { maxResults: 1 })).objects.find((o) => o.key === key);
    if (!listed) throw new InvalidDeletionVectorError(this.location, path, `its file gs://${this.loc.bucket}/${key} does not exist`);
    if (listed.size > limit) throw new DataFileTooLargeError(this.location, path, listed.size, limit);
    try {
      return await this.loc.store.get(this.loc.bucket, key);
    } catch (error) {
      if (error instanceof NotFoundError) throw new InvalidDeletionVectorError(this.location, path, `its file gs://${this.loc.bucket}/${key} does not exist`);
      throw error;
    }
  }

  /** `add.size` can lie: above the limit or not, the listed size (one list call for this key) decides too. */
  private async checkDataFileSize(file: SnapshotFile, key: string): Promise<void> {
    const limit = this.limits.maxDataFileBytes;
    if (limit === undefined) return;
    if (file.size > limit) throw new DataFileTooLargeError(this.location, file.path, file.size, limit);
    const listed = (await this.loc.store.list(this.loc.bucket, key, { maxResults: 1 })).objects.find((o) => o.key === key);
    if (listed && listed.size > limit) throw new DataFileTooLargeError(this.location, file.path, listed.size, limit);
  }

  /** Object key of a data file: relative paths under the table root; absolute gs:// URIs only in this bucket. */
  private fileKey(path: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      const own = `gs://${this.loc.bucket}/`;
      if (path.startsWith(own)) return path.slice(own.length);
      throw new UnsupportedDeltaFeatureError(this.location, 'absolute file paths', `file ${path} is outside this table's bucket`);
    }
    return tableKey(this.loc, path);
  }

  private async write(rows: DeltaRow[], mode: 'Append' | 'Overwrite', opts: WriteOptions): Promise<number> {
    let state = await this.refreshLatest();
    let snapshot = this.writableSnapshot(state, mode);
    this.validateRows(snapshot, rows);
    const adds = await this.writeDataFiles(snapshot, rows);
    const outputBytes = adds.reduce((n, a) => n + a.size, 0);

    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const version = state.version + 1;
      const now = Date.now();
      const removes: Action[] =
        mode === 'Overwrite'
          ? [...state.files.values()].map((f) => ({
              remove: { path: f.path, deletionTimestamp: now, dataChange: true, extendedFileMetadata: true, partitionValues: f.partitionValues, size: f.size },
            }))
          : [];
      const commitInfo: Record<string, unknown> = {
        timestamp: now,
        operation: 'WRITE',
        operationParameters: { mode, partitionBy: JSON.stringify(snapshot.partitionColumns) },
        readVersion: state.version,
        isolationLevel: 'Serializable',
        isBlindAppend: mode === 'Append',
        operationMetrics: { numFiles: String(adds.length), numOutputRows: String(rows.length), numOutputBytes: String(outputBytes) },
        ...(opts.commitInfo ?? {}),
        engineInfo: ENGINE_INFO,
        txnId: randomUUID(),
      };
      commitInfo.timestamp = now;
      const actions: Action[] = [{ commitInfo }, ...removes, ...adds.map((add) => ({ add }))];
      if (await this.tryCommit(version, actions)) {
        const next = state.clone();
        next.apply(version, actions);
        if (!this.latest || this.latest.version < version) this.latest = next;
        if (version % CHECKPOINT_INTERVAL === 0) await this.checkpoint(next);
        return version;
      }
      // Someone else committed `version`: catch up, re-check, and retry on top of their commit.
      const before = state;
      state = await this.refreshLatest();
      if (state.version < version) state = this.latest = await loadState(this.loc);
      if (state.metadata?.schemaString !== before.metadata?.schemaString || state.metadata?.partitionColumns.join() !== before.metadata?.partitionColumns.join()) {
        throw new DeltaWriteError(this.location, `the table schema changed concurrently at version ${state.version}; re-read the table and retry`);
      }
      snapshot = this.writableSnapshot(state, mode);
      await delay(Math.random() * Math.min(50, attempt * 2));
    }
    throw new DeltaWriteError(this.location, `gave up after ${MAX_COMMIT_ATTEMPTS} attempts: other writers kept committing first`);
  }

  private writableSnapshot(state: SnapshotState, mode: 'Append' | 'Overwrite'): Snapshot {
    const snapshot = toSnapshot(state, this.location);
    checkWriteSupport(this.location, snapshot.protocol, snapshot.schema);
    if (mode === 'Overwrite' && snapshot.metadata.configuration['delta.appendOnly'] === 'true' && snapshot.files.length) {
      throw new DeltaWriteError(this.location, 'the table is append-only (delta.appendOnly=true): overwrite would remove rows');
    }
    return snapshot;
  }

  private validateRows(snapshot: Snapshot, rows: DeltaRow[]): void {
    const known = new Set(snapshot.schema.fields.map((f) => f.name));
    rows.forEach((row, i) => {
      for (const key of Object.keys(row)) {
        if (!known.has(key)) throw new DeltaWriteError(this.location, `row ${i} has column ${JSON.stringify(key)}, which is not in the table schema (${[...known].join(', ')})`);
      }
      for (const field of snapshot.schema.fields) {
        const problem = validateValue(row[field.name], field);
        if (problem) throw new DeltaWriteError(this.location, `row ${i}: ${problem}`);
      }
    });
  }

  /** One Parquet file per partition, uniquely named; returns their add actions. */
  private async writeDataFiles(snapshot: Snapshot, rows: DeltaRow[]): Promise<AddAction[]> {
    const { schema, partitionColumns } = snapshot;
    const dataFields = schema.fields.filter((f) => !partitionColumns.includes(f.name));
    const partitionFields = partitionColumns.map((c) => schema.fields.find((f) => f.name === c)!);
    const groups = new Map<string, { values: Record<string, string | null>; rows: DeltaRow[] }>();
    for (const row of rows) {
      const values: Record<string, string | null> = {};
      for (const field of partitionFields) values[field.name] = formatPartitionValue(row[field.name] ?? null, field.type);
      const id = JSON.stringify(partitionFields.map((f) => values[f.name]));
      const group = groups.get(id) ?? { values, rows: [] };
      group.rows.push(row);
      groups.set(id, group);
    }
    const createdBy = `${ENGINE_INFO} (parquet writer: data page v1)`;
    return mapLimit([...groups.values()], 4, async (group) => {
      const dirs = partitionFields.map((f) => partitionDirectory(f.name, group.values[f.name]));
      const relative = [...dirs, `part-00000-${randomUUID()}-c000.snappy.parquet`].join('/');
      const bytes = encodeDataFile(schema, dataFields.map((f) => f.name), group.rows, createdBy);
      await this.loc.store.createIfAbsent(this.loc.bucket, tableKey(this.loc, relative), bytes);
      return {
        path: encodeLogPath(relative),
        partitionValues: group.values,
        size: bytes.length,
        modificationTime: Date.now(),
        dataChange: true,
        stats: computeStats(dataFields, group.rows),
      };
    });
  }

  /** Writes `_delta_log/<version>.json` only if absent; false when another writer got that version first. */
  private async tryCommit(version: number, actions: Action[]): Promise<boolean> {
    try {
      await this.loc.store.createIfAbsent(this.loc.bucket, logPrefix(this.loc.prefix) + commitFileName(version), new TextEncoder().encode(serializeCommit(actions)));
      return true;
    } catch (err) {
      if (err instanceof AlreadyExistsError) return false;
      throw err;
    }
  }

  /** Checkpoint + `_last_checkpoint`; any failure is recorded, never thrown (the commit already succeeded). */
  private async checkpoint(state: SnapshotState): Promise<void> {
    try {
      const actions = state.checkpointActions(tombstoneRetention(state.metadata?.configuration ?? {}));
      const bytes = encodeCheckpoint(actions, ENGINE_INFO);
      const logDir = logPrefix(this.loc.prefix);
      try {
        await this.loc.store.createIfAbsent(this.loc.bucket, logDir + checkpointFileName(state.version), bytes);
      } catch (err) {
        if (!(err instanceof AlreadyExistsError)) throw err;
      }
      const existing = await readLastCheckpoint(this.loc);
      if (existing && existing.version >= state.version) return;
      const last = { version: state.version, size: actions.length, sizeInBytes: bytes.length, numOfAddFiles: state.files.size };
      await this.loc.store.put(this.loc.bucket, logDir + '_last_checkpoint', new TextEncoder().encode(JSON.stringify(last)));
    } catch (err) {
      this.lastCheckpointError = err as Error;
    }
  }
}

function validateNewSchema(location: string, schema: StructType, partitionColumns: string[], configuration: Record<string, string>): void {
  const names = new Set<string>();
  for (const field of schema.fields) {
    if (!field.name) throw new DeltaWriteError(location, 'a column has an empty name');
    if (names.has(field.name.toLowerCase())) throw new DeltaWriteError(location, `column ${field.name} appears twice (names are case-insensitive in Spark)`);
    names.add(field.name.toLowerCase());
  }
  checkWritableSchema(location, schema);
  // Tables this writer creates use none of the features it cannot write (column mapping, deletion vectors).
  for (const property of ['delta.columnMapping.mode', 'delta.enableDeletionVectors']) {
    const value = configuration[property];
    if (value !== undefined && value !== 'none' && value !== 'false') {
      throw new DeltaWriteError(location, `table property ${property}=${value} needs a table feature this writer does not write`);
    }
  }
  for (const column of partitionColumns) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) throw new DeltaWriteError(location, `partition column ${column} is not in the schema`);
    if (field.type === 'binary' || field.type === 'float' || field.type === 'double') {
      throw new DeltaWriteError(location, `partition column ${column} has type ${field.type}, which cannot be a partition column`);
    }
  }
  if (partitionColumns.length && partitionColumns.length === schema.fields.length) {
    throw new DeltaWriteError(location, 'at least one column must not be a partition column');
  }
}

function tombstoneRetention(configuration: Record<string, string>): number {
  const m = /^interval\s+(\d+)\s+(hour|day|week)s?$/i.exec(configuration['delta.deletedFileRetentionDuration'] ?? '');
  if (!m) return DEFAULT_TOMBSTONE_RETENTION_MS;
  const unit = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3 }[m[2].toLowerCase() as 'hour' | 'day' | 'week'];
  return Number(m[1]) * unit;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
