/**
 * What DuckDB reads for a dataset is exactly what the local object store shows: regular files reached through real
 * folders of the owner's bucket. DuckDB opens files by path and would follow a symbolic link (even one swapped in
 * after a check), so it is only ever given the run's private copies, made through the store, bounded in count and
 * bytes. A Delta log and a folder of files are both participant input: links, FIFOs, glob characters and
 * oversized data must not reach another bucket, hang the run, or expand to other files.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DeltaTable, struct } from '../../../src/delta';
import type { DatasetRef } from '../../../src/engines/engine';
import { loadDatasets, type LoadContext } from '../../../src/engines/local/dataset-loader';
import { ObjectStoreDeltaBridge } from '../../../src/engines/local/object-store-delta-bridge';
import { Sandbox } from '../../../src/engines/local/sandbox';
import { LocalObjectStore } from '../../../src/storage/local-store';
import { Fifos } from '../../support/fifos';
import { makeLocalRoot, type LocalRoot } from './local-fixtures';

let local: LocalRoot;
let scratch: string;
const fifos = new Fifos();

beforeEach(async () => {
  local = await makeLocalRoot();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-scratch-'));
  // Another participant's unregistered output: never readable through publisher's dataset.
  await local.writeWithDuckDb(`COPY (SELECT 'secret' AS user_id) TO '{{advertiser-bucket/output/private/part-0.parquet}}' (FORMAT parquet)`);
});

afterEach(async () => {
  await fifos.releaseAll();
  await fs.rm(`${local.root}-outside.parquet`, { force: true });
  await local.cleanup();
  await fs.rm(scratch, { recursive: true, force: true });
});

const mkfifo = (file: string) => fifos.make(file);

const deltaUsers: DatasetRef = { participant: 'publisher', table: 'users', location: 'gs://publisher-bucket/input/users', format: 'delta' };

async function writeUsersTable(): Promise<string> {
  const table = await DeltaTable.create(new LocalObjectStore(local.root), 'publisher-bucket', 'input/users', struct([['user_id', 'string']]));
  await table.append([{ user_id: 'u1' }]);
  const dir = local.pathOf('publisher-bucket', 'input/users');
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.parquet'));
  expect(files).toHaveLength(1);
  return path.join(dir, files[0]);
}

interface Loaded {
  loaded: string[];
  failure: string | undefined;
  rows: unknown[][];
  /** Every file path DuckDB was given in the statements that created the tables. */
  statements: string[];
}

async function load(dataset: DatasetRef, options: Partial<LoadContext> = {}): Promise<Loaded> {
  const sandbox = await Sandbox.open();
  const statements: string[] = [];
  const connection = sandbox.connection;
  const run = connection.run.bind(connection);
  (connection as { run: DuckDBConnection['run'] }).run = (sql, ...rest) => {
    statements.push(sql);
    return run(sql, ...rest);
  };
  try {
    const report = await loadDatasets(connection, [dataset], {
      localRoot: local.root,
      delta: new ObjectStoreDeltaBridge(local.root),
      scratchDir: scratch,
      ...options,
    });
    const name = `${dataset.participant}.${dataset.table}`;
    const rows = report.loaded.length > 0 ? (await sandbox.connection.runAndReadAll(`SELECT * FROM ${name} ORDER BY ALL`)).getRows() : [];
    return { loaded: report.loaded, failure: report.failures.get(name), rows, statements };
  } finally {
    sandbox.close();
  }
}

async function expectScratchEmptyAndUnused(loaded: Loaded): Promise<void> {
  expect(await fs.readdir(scratch)).toEqual([]); // the run's copies are removed once loaded
  for (const sql of loaded.statements) expect(sql).not.toContain(path.join(local.root, 'gs'));
}

describe('Delta datasets: DuckDB reads copies of the files the log names, made through the store', () => {
  test('a normal Delta table loads, from copies in the run\'s private folder only', async () => {
    await writeUsersTable();
    const result = await load(deltaUsers);
    expect(result.loaded).toEqual(['publisher.users']);
    expect(result.rows).toEqual([['u1']]);
    expect(result.statements.some((s) => s.includes(scratch))).toBe(true);
    await expectScratchEmptyAndUnused(result);
  });

  test.each([
    ['a link to another bucket', (local: LocalRoot) => local.pathOf('advertiser-bucket', 'output/private/part-0.parquet')],
    ['a relative link to another bucket', () => '../../../advertiser-bucket/output/private/part-0.parquet'],
    ['a link to a file outside the local root', () => `${local.root}-outside.parquet`],
    ['a dangling link', () => 'no-such-file.parquet'],
    ['a link to itself', (_local: LocalRoot, file: string) => file],
  ])('a data file that is %s is refused as not a regular file', async (_what, target) => {
    const file = await writeUsersTable();
    await fs.copyFile(local.pathOf('advertiser-bucket', 'output/private/part-0.parquet'), `${local.root}-outside.parquet`);
    const link = target(local, file);
    await fs.rm(file);
    await fs.symlink(link, file);
    const result = await load(deltaUsers);
    expect(result.loaded).toEqual([]);
    expect(result.rows).toEqual([]);
    expect(result.failure).toContain(`is not there, or is not a regular file (a symbolic link, FIFO, ...): gs://publisher-bucket/input/users/${path.basename(file)}`);
    await expectScratchEmptyAndUnused(result);
  });

  test('a data file that is a FIFO is refused at once, never opened for a blocking read', async () => {
    const file = await writeUsersTable();
    await fs.rm(file);
    mkfifo(file);
    const result = await load(deltaUsers);
    expect(result.loaded).toEqual([]);
    expect(result.failure).toContain('is not a regular file');
  });

  test('a data file reached through a linked folder is refused', async () => {
    const table = await DeltaTable.create(new LocalObjectStore(local.root), 'publisher-bucket', 'input/users', struct([['user_id', 'string']]));
    await table.append([{ user_id: 'u1' }]);
    // The log names part/x.parquet; the folder part/ becomes a link to the advertiser's private output.
    const logDir = local.pathOf('publisher-bucket', 'input/users/_delta_log');
    const add = { add: { path: 'part/part-0.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } };
    await fs.writeFile(path.join(logDir, `${'2'.padStart(20, '0')}.json`), `${JSON.stringify(add)}\n`);
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/private'), local.pathOf('publisher-bucket', 'input/users/part'));
    const result = await load(deltaUsers);
    expect(result.loaded).toEqual([]);
    expect(result.failure).toContain('gs://publisher-bucket/input/users/part/part-0.parquet');
  });

  test('a table folder that is a link to another bucket\'s table is not a table', async () => {
    await fs.mkdir(local.pathOf('publisher-bucket', 'input'), { recursive: true });
    const other = await DeltaTable.create(new LocalObjectStore(local.root), 'advertiser-bucket', 'output/table', struct([['user_id', 'string']]));
    await other.append([{ user_id: 'advertiser-secret' }]);
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/table'), local.pathOf('publisher-bucket', 'input/users'));
    const result = await load(deltaUsers);
    expect(result.loaded).toEqual([]);
    expect(result.rows).toEqual([]);
    expect(result.failure).toMatch(/could not be loaded/);
  });

  test('a data file name with glob characters is read as that one file, never expanded', async () => {
    const file = await writeUsersTable();
    const dir = path.dirname(file);
    // A file literally named `*.parquet` holding one row, next to the table's own file: the log names only it.
    await local.writeWithDuckDb(`COPY (SELECT 'from-star' AS user_id) TO '{{publisher-bucket/input/users/star.parquet}}' (FORMAT parquet)`);
    await fs.rename(path.join(dir, 'star.parquet'), path.join(dir, '*.parquet'));
    const logDir = path.join(dir, '_delta_log');
    const remove = { remove: { path: path.basename(file), deletionTimestamp: 0, dataChange: true } };
    const add = { add: { path: '*.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } };
    await fs.writeFile(path.join(logDir, `${'2'.padStart(20, '0')}.json`), `${JSON.stringify(remove)}\n${JSON.stringify(add)}\n`);
    const result = await load(deltaUsers);
    expect(result.failure).toBeUndefined();
    expect(result.rows).toEqual([['from-star']]);
  });

  test('a data file path that climbs out of the table (..) is refused', async () => {
    await writeUsersTable();
    const logDir = local.pathOf('publisher-bucket', 'input/users/_delta_log');
    const add = { add: { path: '../../../advertiser-bucket/output/private/part-0.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } };
    await fs.writeFile(path.join(logDir, `${'2'.padStart(20, '0')}.json`), `${JSON.stringify(add)}\n`);
    const result = await load(deltaUsers);
    expect(result.loaded).toEqual([]);
    expect(result.failure).toMatch(/names a data file with an invalid path: .*'\.' or '\.\.' segment/);
  });
});

describe('Parquet, CSV and JSON datasets: only regular files of the owner\'s bucket are listed and copied', () => {
  const parquetUsers: DatasetRef = { participant: 'publisher', table: 'users', location: 'gs://publisher-bucket/data/users', format: 'parquet' };

  beforeEach(async () => {
    await local.writeWithDuckDb(`COPY (SELECT 'u1' AS user_id) TO '{{publisher-bucket/data/users/part-0.parquet}}' (FORMAT parquet)`);
  });

  test('links and FIFOs among the data files are left out, as GCS would never list them', async () => {
    const dir = local.pathOf('publisher-bucket', 'data/users');
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/private/part-0.parquet'), path.join(dir, 'part-1.parquet'));
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/private'), path.join(dir, 'linked-folder'));
    await fs.symlink('part-3.parquet', path.join(dir, 'part-3.parquet'));
    mkfifo(path.join(dir, 'part-2.parquet'));
    const result = await load(parquetUsers);
    expect(result.failure).toBeUndefined();
    expect(result.rows).toEqual([['u1']]);
    await expectScratchEmptyAndUnused(result);
  });

  test('a location that is a link to another bucket\'s folder holds nothing', async () => {
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/private'), local.pathOf('publisher-bucket', 'data/stolen'));
    const result = await load({ ...parquetUsers, location: 'gs://publisher-bucket/data/stolen' });
    expect(result.loaded).toEqual([]);
    expect(result.failure).toMatch(/nothing exists at gs:\/\/publisher-bucket\/data\/stolen$/);
  });

  test('a location that is a linked file, or a FIFO, holds nothing', async () => {
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/private/part-0.parquet'), local.pathOf('publisher-bucket', 'data/one.parquet'));
    mkfifo(local.pathOf('publisher-bucket', 'data/pipe.csv'));
    const linked = await load({ ...parquetUsers, location: 'gs://publisher-bucket/data/one.parquet' });
    expect(linked.failure).toMatch(/nothing exists at/);
    const pipe = await load({ ...parquetUsers, format: 'csv', location: 'gs://publisher-bucket/data/pipe.csv' });
    expect(pipe.failure).toMatch(/nothing exists at/);
  });

  test('a CSV file whose name has glob characters is read as itself', async () => {
    await fs.mkdir(local.pathOf('publisher-bucket', 'data/csv'), { recursive: true });
    await fs.writeFile(local.pathOf('publisher-bucket', 'data/csv/[a]{b}*.csv'), 'user_id\nbrackets\n');
    const result = await load({ ...parquetUsers, format: 'csv', location: 'gs://publisher-bucket/data/csv' });
    expect(result.failure).toBeUndefined();
    expect(result.rows).toEqual([['brackets']]);
  });

  test('more data files than the limit fail the dataset, naming the limit', async () => {
    await local.writeWithDuckDb(`COPY (SELECT 'u2' AS user_id) TO '{{publisher-bucket/data/users/part-1.parquet}}' (FORMAT parquet)`);
    await local.writeWithDuckDb(`COPY (SELECT 'u3' AS user_id) TO '{{publisher-bucket/data/users/part-2.parquet}}' (FORMAT parquet)`);
    const result = await load(parquetUsers, { maxDataFiles: 2 });
    expect(result.loaded).toEqual([]);
    expect(result.failure).toMatch(/more than 2 (objects|data files)/);
    expect((await load(parquetUsers, { maxDataFiles: 3 })).rows).toEqual([['u1'], ['u2'], ['u3']]);
  });

  test('copies a stopped run left behind (its process is gone) are removed by the next run; a live process keeps its own', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(gone.stdout.toString());
    await fs.mkdir(path.join(scratch, `cleanroom-run-${deadPid}-abcdef`));
    await fs.writeFile(path.join(scratch, `cleanroom-run-${deadPid}-abcdef`, '000001.parquet'), 'left behind');
    await fs.mkdir(path.join(scratch, `cleanroom-run-${process.pid}-live`));
    await fs.mkdir(path.join(scratch, 'someone-else'));
    const result = await load(parquetUsers);
    expect(result.rows).toEqual([['u1']]);
    expect((await fs.readdir(scratch)).sort()).toEqual([`cleanroom-run-${process.pid}-live`, 'someone-else']);
    await fs.rm(path.join(scratch, `cleanroom-run-${process.pid}-live`), { recursive: true });
    await fs.rm(path.join(scratch, 'someone-else'), { recursive: true });
  });

  test('more bytes than the limit fail the dataset, naming the limit, and leave no copy behind', async () => {
    const size = (await fs.stat(local.pathOf('publisher-bucket', 'data/users/part-0.parquet'))).size;
    const result = await load(parquetUsers, { maxDataBytes: size - 1 });
    expect(result.loaded).toEqual([]);
    expect(result.failure).toContain(`exceed ${size - 1} bytes in all, the local engine's limit per run`);
    expect(await fs.readdir(scratch)).toEqual([]);
    expect((await load(parquetUsers, { maxDataBytes: size })).rows).toEqual([['u1']]);
  });
});
