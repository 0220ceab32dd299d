/**
 * Delta benchmark: a table of 1,000 small commits (with a checkpoint every CHECKPOINT_INTERVAL versions) on the
 * local object store. Figures: append commit rate (one writer; four concurrent writers on one table), cold read
 * of the latest snapshot, all rows and the latest version (cold = a new DeltaTable with no cached state; the OS
 * file cache is warm), and the object-store requests a cold snapshot costs.
 */
import { CHECKPOINT_INTERVAL, DeltaTable, struct, type DeltaRow, type StructType } from '../cleanroom-runtime/src/delta';
import { LocalObjectStore } from '../cleanroom-runtime/src/storage/local-store';
import type { ObjectStore } from '../cleanroom-runtime/src/storage/object-store';
import { InstrumentedStore, sumOf } from '../cleanroom-runtime/test/support/instrumented-store';
import { progress, type Emit } from './figures';
import { percentile, timed, withTempDir } from './timing';

const NAME = 'delta';
const COMMITS = 1000;
const ROWS_PER_COMMIT = 3;
const CONCURRENT_WRITERS = 4;
const CONCURRENT_COMMITS_PER_WRITER = 50;
const READ_REPEATS = 5;
const BUCKET = 'bench-delta';

const SCHEMA: StructType = struct([['id', 'long'], ['name', 'string'], ['amount', 'double'], ['day', 'date']]);

function rowsFor(commit: number, writer = 0): DeltaRow[] {
  return Array.from({ length: ROWS_PER_COMMIT }, (_, i) => ({
    id: BigInt(commit * ROWS_PER_COMMIT + i),
    name: `w${writer}-c${commit}-r${i}`,
    amount: commit + i / 10,
    day: '2024-05-01',
  }));
}

export async function runDelta(emit: Emit): Promise<void> {
  await withTempDir(NAME, async (root) => {
    const store = new LocalObjectStore(root);
    await appendCommits(emit, store);
    await readTable(emit, store);
    await concurrentWriters(emit, store);
  });
}

/** One writer appends COMMITS commits to a fresh table; the same table is read afterwards. */
async function appendCommits(emit: Emit, store: ObjectStore): Promise<void> {
  progress(NAME, `appending ${COMMITS} commits (one writer)`);
  const table = await DeltaTable.create(store, BUCKET, 'tables/history', SCHEMA);
  const latencies: number[] = [];
  const { ms } = await timed(async () => {
    for (let c = 1; c <= COMMITS; c++) {
      const { ms: one } = await timed(() => table.append(rowsFor(c)));
      latencies.push(one);
    }
  });
  if (table.lastCheckpointError) throw table.lastCheckpointError;
  const context = { writers: 1, commits: COMMITS, rowsPerCommit: ROWS_PER_COMMIT, checkpointInterval: CHECKPOINT_INTERVAL, store: 'local' };
  emit('append_commit_rate', COMMITS / (ms / 1000), 'commits/s', context);
  emit('append_commit_latency_p50', percentile(latencies, 50), 'ms', context);
  emit('append_commit_latency_p95', percentile(latencies, 95), 'ms', context);
}

async function readTable(emit: Emit, store: ObjectStore): Promise<void> {
  progress(NAME, `reading the ${COMMITS}-commit table cold (${READ_REPEATS} repeats, median)`);
  const context = { commits: COMMITS, files: COMMITS, rows: COMMITS * ROWS_PER_COMMIT, repeats: READ_REPEATS, store: 'local' };
  const snapshotMs: number[] = [];
  const readRowsMs: number[] = [];
  const latestMs: number[] = [];
  const refreshMs: number[] = [];
  const open = () => DeltaTable.open(store, BUCKET, 'tables/history');
  for (let r = 0; r < READ_REPEATS; r++) {
    snapshotMs.push((await timed(async () => (await open()).snapshot())).ms);
    const { result: rows, ms } = await timed(async () => (await open()).readRows());
    if (rows.length !== COMMITS * ROWS_PER_COMMIT) throw new Error(`read ${rows.length} rows, expected ${COMMITS * ROWS_PER_COMMIT}`);
    readRowsMs.push(ms);
    const { result: opened, ms: latest } = await timed(async () => {
      const table = await open();
      await table.latestVersion();
      return table;
    });
    latestMs.push(latest);
    await opened.snapshot();
    refreshMs.push((await timed(() => opened.latestVersion())).ms);
  }
  emit('cold_open_snapshot', percentile(snapshotMs, 50), 'ms', context);
  emit('cold_open_read_rows', percentile(readRowsMs, 50), 'ms', context);
  emit('cold_open_read_rows_rate', (COMMITS * ROWS_PER_COMMIT) / (percentile(readRowsMs, 50) / 1000), 'rows/s', context);
  emit('cold_open_latest_version', percentile(latestMs, 50), 'ms', context);
  emit('latest_version_on_open_table', percentile(refreshMs, 50), 'ms', context);

  // What a cold open + snapshot costs in object-store requests (on GCS: billed, latency-bound calls).
  const counting = new InstrumentedStore(store);
  const table = await DeltaTable.open(counting, BUCKET, 'tables/history');
  await table.snapshot();
  const counts = counting.totals();
  const requests = sumOf(counts);
  emit('cold_open_snapshot_requests', requests, 'requests', { commits: COMMITS, gets: counts.get, lists: counts.list, writes: counting.writes() });
}

/** CONCURRENT_WRITERS DeltaTable objects (as separate writers would) append to one fresh table at the same time. */
async function concurrentWriters(emit: Emit, store: ObjectStore): Promise<void> {
  const total = CONCURRENT_WRITERS * CONCURRENT_COMMITS_PER_WRITER;
  progress(NAME, `${CONCURRENT_WRITERS} concurrent writers, ${total} commits`);
  await DeltaTable.create(store, BUCKET, 'tables/concurrent', SCHEMA);
  const writers = await Promise.all(Array.from({ length: CONCURRENT_WRITERS }, () => DeltaTable.open(store, BUCKET, 'tables/concurrent')));
  const { ms } = await timed(() =>
    Promise.all(
      writers.map(async (writer, w) => {
        for (let c = 1; c <= CONCURRENT_COMMITS_PER_WRITER; c++) await writer.append(rowsFor(c, w));
      }),
    ),
  );
  const latest = await (await DeltaTable.open(store, BUCKET, 'tables/concurrent')).latestVersion();
  if (latest !== total) throw new Error(`concurrent writers ended at version ${latest}, expected ${total}`);
  emit('append_commit_rate', total / (ms / 1000), 'commits/s', {
    writers: CONCURRENT_WRITERS,
    commits: total,
    rowsPerCommit: ROWS_PER_COMMIT,
    checkpointInterval: CHECKPOINT_INTERVAL,
    store: 'local',
    inProcess: true,
  });
}
