/**
 * Reading the `_delta_log/` folder through an ObjectStore: listing, `_last_checkpoint`, commits, checkpoints,
 * and rebuilding the state at a version (latest or time travel).
 */
import * as path from 'node:path';
import { Action, classifyLogKey, commitFileName, joinKey, logPrefix, parseCommit, versionName } from './actions';
import { checkpointPartActions, LastCheckpoint, parseLastCheckpoint } from './checkpoint';
import { CorruptDeltaLogError, DeltaTableNotFoundError, ReadLimitError } from './errors';
import { ParquetLimitError, type ParquetLimits } from './parquet-bounds';
import { SnapshotState } from './snapshot-state';
import { ListOptions, NotFoundError, ObjectStore } from '../storage/object-store';

export interface TableLocation {
  store: ObjectStore;
  bucket: string;
  /** Key prefix of the table root ('' or 'a/b' or 'a/b/'). */
  prefix: string;
  /** Size limits for log files of untrusted tables (default: none). */
  limits?: LogReadLimits;
}

/**
 * Bounds on reading the log of an untrusted table, so a participant's log cannot exhaust memory or time (sizes as
 * listed, no extra request). An oversized commit is replayed as empty (its actions are unknown: callers that care
 * find it in the listing); a checkpoint with an oversized part is ignored (commits are replayed instead);
 * `_last_checkpoint` above its limit is ignored (checked with one list call, only when limits are set). A listing
 * above `maxLogObjects`, a snapshot needing more than `maxCommitsReplayed` commits after its checkpoint, or a
 * checkpoint part above `checkpointParquet` throws ReadLimitError.
 */
export interface LogReadLimits {
  maxCommitBytes?: number;
  maxCheckpointPartBytes?: number;
  /** Default: maxCommitBytes. */
  maxLastCheckpointBytes?: number;
  maxCommitsReplayed?: number;
  maxLogObjects?: number;
  /** Rows (actions) and decoded size of one checkpoint part. */
  checkpointParquet?: ParquetLimits;
}

/** How messages name the table: its gs:// URI, or its folder when the store serves a plain folder as a bucket. */
export function describeLocation(loc: TableLocation): string {
  const prefix = loc.prefix.replace(/\/+$/, '');
  const local = loc.store as Partial<{ root: string; bucketDir(bucket: string): string }>;
  if (typeof local.bucketDir === 'function' && typeof local.root === 'string') {
    const dir = local.bucketDir(loc.bucket);
    if (dir !== path.join(local.root, 'gs', loc.bucket)) return path.join(dir, prefix);
  }
  return `gs://${loc.bucket}${prefix ? `/${prefix}` : ''}`;
}

export interface LogListing {
  commits: Map<number, string>;
  /** Commits above `limits.maxCommitBytes`, by version: their listed size. */
  oversizedCommits: Map<number, number>;
  /** Complete checkpoints by version: all part keys, in part order. */
  checkpoints: Map<number, string[]>;
}

/** Lists log files with keys >= `_delta_log/<startName>` (all pages). */
export async function listLog(loc: TableLocation, startName?: string): Promise<LogListing> {
  const prefix = logPrefix(loc.prefix);
  const commits = new Map<number, string>();
  const oversizedCommits = new Map<number, number>();
  const tooBigCheckpoints = new Set<number>();
  const { maxCommitBytes = Infinity, maxCheckpointPartBytes = Infinity, maxLogObjects = Infinity } = loc.limits ?? {};
  const parts = new Map<number, { total: number; keys: Map<number, string> }>();
  let pageToken: string | undefined;
  let listed = 0;
  do {
    const options: ListOptions = { pageToken };
    if (startName) options.startOffset = prefix + startName;
    const page = await loc.store.list(loc.bucket, prefix, options);
    listed += page.objects.length;
    if (listed > maxLogObjects) {
      throw new ReadLimitError(describeLocation(loc), `its _delta_log/ holds more than ${maxLogObjects} objects${startName ? ` from ${startName}` : ''}, above the limit: checkpoint the table and clean up its log (VACUUM / log retention)`);
    }
    for (const object of page.objects) {
      const file = classifyLogKey(object.key);
      if (!file) continue;
      if (file.kind === 'commit') {
        commits.set(file.version, file.key);
        if (object.size > maxCommitBytes) oversizedCommits.set(file.version, object.size);
      } else if (file.kind === 'checkpoint') {
        if (object.size > maxCheckpointPartBytes) tooBigCheckpoints.add(file.version);
        const entry = parts.get(file.version) ?? { total: file.parts, keys: new Map<number, string>() };
        if (entry.total === file.parts) entry.keys.set(file.part, file.key);
        parts.set(file.version, entry);
      }
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  const checkpoints = new Map<number, string[]>();
  for (const [version, { total, keys }] of parts) {
    if (keys.size === total && !tooBigCheckpoints.has(version)) checkpoints.set(version, [...keys.entries()].sort((a, b) => a[0] - b[0]).map(([, k]) => k));
  }
  return { commits, oversizedCommits, checkpoints };
}

/** The actions of a listed commit; none for an oversized one (never read). */
function readListedCommit(loc: TableLocation, listing: LogListing, version: number): Promise<Action[]> {
  if (listing.oversizedCommits.has(version)) return Promise.resolve([]);
  return readCommitActions(loc, version, listing.commits.get(version));
}

export async function readLastCheckpoint(loc: TableLocation): Promise<LastCheckpoint | undefined> {
  const key = logPrefix(loc.prefix) + '_last_checkpoint';
  const limit = loc.limits?.maxLastCheckpointBytes ?? loc.limits?.maxCommitBytes;
  if (limit !== undefined) {
    // Untrusted table: the hint is only read when small (one list call); without it the listing decides.
    const listed = (await loc.store.list(loc.bucket, key, { maxResults: 1 })).objects.find((o) => o.key === key);
    if (!listed || listed.size > limit) return undefined;
  }
  try {
    const bytes = await loc.store.get(loc.bucket, key);
    return parseLastCheckpoint(new TextDecoder().decode(bytes));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export async function readCommitActions(loc: TableLocation, version: number, key?: string): Promise<Action[]> {
  const objectKey = key ?? logPrefix(loc.prefix) + commitFileName(version);
  const bytes = await loc.store.get(loc.bucket, objectKey);
  try {
    return parseCommit(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new CorruptDeltaLogError(describeLocation(loc), `commit ${commitFileName(version)}: ${(err as Error).message}`);
  }
}

async function readCheckpointActions(loc: TableLocation, keys: string[]): Promise<Action[]> {
  const limits = loc.limits?.checkpointParquet;
  // One part at a time when bounded: each part is within the limits, so together they stay proportionate.
  const parts = await mapLimit(keys, limits ? 1 : keys.length, async (key) => checkpointPartActions(await loc.store.get(loc.bucket, key), limits));
  return parts.flat();
}

/** Runs `fn` over items with at most `limit` in flight, keeping result order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The newest version present: one `_last_checkpoint` read and one listing from there. */
export async function findLatestVersion(loc: TableLocation): Promise<number | undefined> {
  const last = await readLastCheckpoint(loc);
  let listing = await listLog(loc, last ? versionName(last.version) : undefined);
  if (last && listing.commits.size === 0 && listing.checkpoints.size === 0) listing = await listLog(loc); // stale hint
  const versions = [...listing.commits.keys(), ...listing.checkpoints.keys()];
  return versions.length ? Math.max(...versions) : undefined;
}

/**
 * Rebuilds the state at `version` (latest when undefined) from the newest usable checkpoint at or before it
 * plus the JSON commits after it. `_last_checkpoint` is only a hint: missing, stale or wrong, the listing decides.
 */
export async function loadState(loc: TableLocation, version?: number): Promise<SnapshotState> {
  const where = describeLocation(loc);
  const last = await readLastCheckpoint(loc);
  const hint = last && (version === undefined || last.version <= version) ? last.version : undefined;
  let listing = await listLog(loc, hint !== undefined ? versionName(hint) : undefined);
  if (hint !== undefined && !listing.checkpoints.has(hint)) listing = await listLog(loc);

  const available = [...listing.commits.keys(), ...listing.checkpoints.keys()];
  if (!available.length) throw new DeltaTableNotFoundError(where);
  const latest = Math.max(...available);
  const target = version ?? latest;
  if (!Number.isInteger(target) || target < 0) throw new Error(`invalid table version ${version}: use a whole number >= 0`);
  if (target > latest) throw new Error(`version ${target} of the Delta table at ${where} does not exist; the latest version is ${latest}`);

  const checkpointVersion = Math.max(-1, ...[...listing.checkpoints.keys()].filter((v) => v <= target));
  const maxReplayed = loc.limits?.maxCommitsReplayed ?? Infinity;
  if (target - checkpointVersion > maxReplayed) {
    throw new ReadLimitError(
      where,
      `version ${target} needs ${target - checkpointVersion} commits replayed after ${checkpointVersion >= 0 ? `the checkpoint at version ${checkpointVersion}` : 'version 0 (no usable checkpoint)'}, above the limit of ${maxReplayed}: write a checkpoint (Spark writes one every 10 commits by default)`,
    );
  }
  const state = new SnapshotState();
  if (checkpointVersion >= 0) {
    try {
      state.apply(checkpointVersion, await readCheckpointActions(loc, listing.checkpoints.get(checkpointVersion)!));
    } catch (err) {
      if (err instanceof ParquetLimitError) throw new ReadLimitError(where, `its checkpoint at version ${checkpointVersion} ${err.message}`);
      throw new CorruptDeltaLogError(where, `checkpoint at version ${checkpointVersion}: ${(err as Error).message}`);
    }
  }
  const needed: number[] = [];
  for (let v = checkpointVersion + 1; v <= target; v++) {
    if (!listing.commits.has(v)) {
      throw new CorruptDeltaLogError(
        where,
        `commit ${commitFileName(v)} is missing, so version ${target} cannot be rebuilt` +
          (checkpointVersion < 0 ? ' (no checkpoint before it; the log may have been cleaned up)' : ''),
      );
    }
    needed.push(v);
  }
  const commits = await mapLimit(needed, 16, (v) => readListedCommit(loc, listing, v));
  needed.forEach((v, i) => state.apply(v, commits[i]));
  if (!state.protocol || !state.metadata) throw new CorruptDeltaLogError(where, `no protocol or metaData action up to version ${target}`);
  return state;
}

/**
 * Commits after `version`, in order, found with a single listing starting at the next commit's name (so an
 * idle check costs one list call). Stops at the first gap.
 */
export async function readCommitsAfter(loc: TableLocation, version: number): Promise<Array<{ version: number; actions: Action[] }>> {
  const listing = await listLog(loc, commitFileName(version + 1));
  const versions: number[] = [];
  for (let v = version + 1; listing.commits.has(v); v++) versions.push(v);
  const actions = await mapLimit(versions, 16, (v) => readListedCommit(loc, listing, v));
  return versions.map((v, i) => ({ version: v, actions: actions[i] }));
}

export function tableKey(loc: TableLocation, relativePath: string): string {
  return joinKey(loc.prefix, relativePath);
}
