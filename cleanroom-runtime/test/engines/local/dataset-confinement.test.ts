/**
 * A Delta dataset's log names its data files, and the participant writes that log: the files it names must stay
 * inside the participant's bucket folder, like the files of a Parquet/CSV/JSON dataset (no symbolic link out of
 * the bucket, no glob pattern that DuckDB would expand).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, struct } from '../../../src/delta';
import type { DatasetRef } from '../../../src/engines/engine';
import { loadDatasets } from '../../../src/engines/local/dataset-loader';
import { ObjectStoreDeltaBridge } from '../../../src/engines/local/object-store-delta-bridge';
import { Sandbox } from '../../../src/engines/local/sandbox';
import { LocalObjectStore } from '../../../src/storage/local-store';
import { makeLocalRoot, type LocalRoot } from './local-fixtures';

let local: LocalRoot;

beforeEach(async () => {
  local = await makeLocalRoot();
  // Another participant's unregistered output: never readable through publisher's dataset.
  await local.writeWithDuckDb(`COPY (SELECT 'secret' AS secret) TO '{{advertiser-bucket/output/private/part-0.parquet}}' (FORMAT parquet)`);
});

afterEach(() => local.cleanup());

const dataset: DatasetRef = { participant: 'publisher', table: 'users', location: 'gs://publisher-bucket/input/users', format: 'delta' };

async function writeUsersTable(): Promise<string> {
  const table = await DeltaTable.create(new LocalObjectStore(local.root), 'publisher-bucket', 'input/users', struct([['user_id', 'long']]));
  await table.append([{ user_id: 1n }]);
  const dir = local.pathOf('publisher-bucket', 'input/users');
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.parquet'));
  expect(files).toHaveLength(1);
  return path.join(dir, files[0]);
}

async function load(): Promise<{ loaded: string[]; failure: string | undefined; rows: unknown[][] }> {
  const sandbox = await Sandbox.open();
  try {
    const report = await loadDatasets(sandbox.connection, [dataset], { localRoot: local.root, delta: new ObjectStoreDeltaBridge(local.root) });
    const rows = report.loaded.length > 0 ? (await sandbox.connection.runAndReadAll('SELECT * FROM publisher.users')).getRows() : [];
    return { loaded: report.loaded, failure: report.failures.get('publisher.users'), rows };
  } finally {
    sandbox.close();
  }
}

describe('Delta datasets stay inside their bucket', () => {
  test('a normal Delta table loads', async () => {
    await writeUsersTable();
    const result = await load();
    expect(result.loaded).toEqual(['publisher.users']);
    expect(result.rows).toEqual([[1n]]);
  });

  test('a data file that is a symbolic link out of the bucket is refused', async () => {
    const file = await writeUsersTable();
    await fs.rm(file);
    await fs.symlink(local.pathOf('advertiser-bucket', 'output/private/part-0.parquet'), file);
    const result = await load();
    expect(result.loaded).toEqual([]);
    expect(result.rows).toEqual([]);
    expect(result.failure).toMatch(/leads outside its bucket/);
  });

  test('a data file path with glob characters is refused, not expanded', async () => {
    await writeUsersTable();
    const logDir = local.pathOf('publisher-bucket', 'input/users/_delta_log');
    const commits = (await fs.readdir(logDir)).filter((f) => /^\d{20}\.json$/.test(f)).sort();
    const next = String(commits.length).padStart(20, '0');
    const add = { add: { path: '**/*.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } };
    await fs.writeFile(path.join(logDir, `${next}.json`), `${JSON.stringify(add)}\n`);
    const result = await load();
    expect(result.loaded).toEqual([]);
    expect(result.failure).toMatch(/\* \? \[ \] \{ \}/);
  });
});
