/**
 * Checkpoints: written by the committer of every 10th version with `_last_checkpoint`; reading from a
 * checkpoint equals reading the full log; stale or missing hints fall back to listing. Also appendOnly and
 * writer-protocol refusal.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, DeltaWriteError, struct, UnsupportedDeltaFeatureError } from '../../src/delta';
import type { DeltaRow } from '../../src/delta';
import { encodeCheckpoint } from '../../src/delta/checkpoint';
import { loadState } from '../../src/delta/log-reader';
import { LocalObjectStore } from '../../src/storage/local-store';
import type { ObjectStore } from '../../src/storage/object-store';
import { openLocation } from '../../src/storage/location';
import { openDuckDb, sqlString } from './duckdb';
import { comparable, FIXTURES, sortRows } from './support';

const BUCKET = 'checkpoint-bucket';
const SCHEMA = struct([['n', 'long'], ['label', 'string']]);
let root: string;
let store: LocalObjectStore;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-checkpoint-'));
  store = new LocalObjectStore(root);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const logDir = (prefix: string): string => path.join(root, 'gs', BUCKET, prefix, '_delta_log');
const rowsOf = async (table: DeltaTable, version?: number): Promise<unknown[]> =>
  sortRows((await table.readRows({ version })).map((r: DeltaRow) => comparable(r, SCHEMA)));

describe('checkpoints', () => {
  it('writes a checkpoint at version 10 and reading from it equals reading the full log', async () => {
    const table = await DeltaTable.create(store, BUCKET, 't1', SCHEMA);
    for (let i = 1; i <= 12; i++) {
      if (i === 6) await table.overwrite([{ n: BigInt(i), label: `overwrite ${i}` }]);
      else await table.append([{ n: BigInt(i), label: `row ${i}` }]);
    }
    expect(table.lastCheckpointError).toBeUndefined();
    const files = fs.readdirSync(logDir('t1'));
    expect(files).toContain('00000000000000000010.checkpoint.parquet');
    expect(files.filter((f) => f.endsWith('.checkpoint.parquet'))).toHaveLength(1);
    const last = JSON.parse(fs.readFileSync(path.join(logDir('t1'), '_last_checkpoint'), 'utf8'));
    expect(last).toEqual({ version: 10, size: expect.any(Number), sizeInBytes: fs.statSync(path.join(logDir('t1'), '00000000000000000010.checkpoint.parquet')).size, numOfAddFiles: 5 });
    // protocol + metaData + 5 adds + 5 tombstones (rows 1-5 removed by the overwrite)
    expect(last.size).toBe(12);

    const fromCheckpoint = await DeltaTable.open(store, BUCKET, 't1');
    const expected = await rowsOf(fromCheckpoint);
    expect(expected).toHaveLength(7); // rows 6..12

    // The same table without checkpoint files: replay of all JSON commits must agree, at every version.
    fs.cpSync(path.join(root, 'gs', BUCKET, 't1'), path.join(root, 'gs', BUCKET, 't1-nocp'), { recursive: true });
    fs.rmSync(path.join(logDir('t1-nocp'), '00000000000000000010.checkpoint.parquet'));
    fs.rmSync(path.join(logDir('t1-nocp'), '_last_checkpoint'));
    const fullLog = await DeltaTable.open(store, BUCKET, 't1-nocp');
    for (const version of [9, 10, 11, 12]) expect(await rowsOf(fullLog, version)).toEqual(await rowsOf(fromCheckpoint, version));
    expect(await rowsOf(fullLog)).toEqual(expected);

    // And with only the checkpoint (commits 0-9 cleaned up), the checkpoint alone must rebuild the state.
    fs.cpSync(path.join(root, 'gs', BUCKET, 't1'), path.join(root, 'gs', BUCKET, 't1-cponly'), { recursive: true });
    for (let v = 0; v <= 9; v++) fs.rmSync(path.join(logDir('t1-cponly'), `${String(v).padStart(20, '0')}.json`));
    const cpOnly = await DeltaTable.open(store, BUCKET, 't1-cponly');
    expect(await rowsOf(cpOnly)).toEqual(expected);
    await expect(cpOnly.readRows({ version: 5 })).rejects.toThrow(/is missing/);

    // DuckDB reads the checkpoint too (independent reader of the nested schema).
    const duck = await openDuckDb();
    try {
      const [counts] = await duck.query(`SELECT count(add) AS adds, count(remove) AS removes, count(metaData) AS meta, count(protocol) AS proto,
        max(protocol.minWriterVersion) AS writer FROM read_parquet(${sqlString(path.join(logDir('t1'), '00000000000000000010.checkpoint.parquet'))})`);
      expect(counts).toEqual({ adds: '5', removes: '5', meta: '1', proto: '1', writer: 2 });
    } finally {
      duck.close();
    }
  });

  it('falls back to listing when _last_checkpoint is stale, damaged or points at a missing checkpoint', async () => {
    const table = await DeltaTable.open(store, BUCKET, 't1');
    const expected = await rowsOf(table);
    const hint = path.join(logDir('t1'), '_last_checkpoint');
    for (const content of ['{"version":3,"size":1}', 'not json', '{"version":999}']) {
      fs.writeFileSync(hint, content);
      const reopened = await DeltaTable.open(store, BUCKET, 't1');
      expect(await reopened.latestVersion()).toBe(12);
      expect(await rowsOf(reopened)).toEqual(expected);
    }
  });

  it('reads the Spark fixture the same with and without its checkpoint', async () => {
    const copy = path.join(root, 'gs', BUCKET, 'spark-cp');
    fs.cpSync(path.join(FIXTURES, 'basic-with-inserts-deletes-checkpoint'), copy, { recursive: true });
    const withCheckpoint = await DeltaTable.open(store, BUCKET, 'spark-cp');
    const idSchema = (await withCheckpoint.snapshot()).schema;
    const a = sortRows((await withCheckpoint.readRows()).map((r) => comparable(r, idSchema)));
    fs.rmSync(path.join(copy, '_delta_log', '00000000000000000010.checkpoint.parquet'));
    const withoutCheckpoint = await DeltaTable.open(store, BUCKET, 'spark-cp');
    const b = sortRows((await withoutCheckpoint.readRows()).map((r) => comparable(r, idSchema)));
    expect(a).toHaveLength(41);
    expect(b).toEqual(a);
  });

  it('appends to a Spark-written table and checkpoints it readably', async () => {
    const copy = path.join(root, 'gs', BUCKET, 'spark-append');
    fs.cpSync(path.join(FIXTURES, 'basic-with-inserts-deletes-checkpoint'), copy, { recursive: true });
    const table = await DeltaTable.open(store, BUCKET, 'spark-append');
    for (let i = 0; i < 7; i++) await table.append([{ id: BigInt(1000 + i) }]); // versions 14..20
    expect(fs.existsSync(path.join(copy, '_delta_log', '00000000000000000020.checkpoint.parquet'))).toBe(true);
    const reopened = await DeltaTable.open(store, BUCKET, 'spark-append');
    expect(await reopened.readRows()).toHaveLength(48);
  });
});

describe('checkpoint edge cases', () => {
  it('reads multi-part checkpoints', async () => {
    const table = await DeltaTable.create(store, BUCKET, 'multipart', SCHEMA);
    for (let i = 0; i < 3; i++) await table.append([{ n: BigInt(i), label: `part ${i}` }]);
    const expected = await rowsOf(table);
    const actions = (await loadState({ store, bucket: BUCKET, prefix: 'multipart' })).checkpointActions(Infinity);
    const half = Math.ceil(actions.length / 2);
    const name = (part: number): string => `00000000000000000003.checkpoint.000000000${part}.0000000002.parquet`;
    fs.writeFileSync(path.join(logDir('multipart'), name(1)), encodeCheckpoint(actions.slice(0, half), 'test'));
    fs.writeFileSync(path.join(logDir('multipart'), name(2)), encodeCheckpoint(actions.slice(half), 'test'));
    for (let v = 0; v <= 3; v++) fs.rmSync(path.join(logDir('multipart'), `${String(v).padStart(20, '0')}.json`));
    const reopened = await DeltaTable.open(store, BUCKET, 'multipart');
    expect(await reopened.latestVersion()).toBe(3);
    expect(await rowsOf(reopened)).toEqual(expected);
  });

  it('a failed checkpoint does not fail the commit that triggered it', async () => {
    const failing: ObjectStore = {
      get: (b, k) => store.get(b, k),
      list: (b, p, o) => store.list(b, p, o),
      put: (b, k, d) => store.put(b, k, d),
      delete: (b, k) => store.delete(b, k),
      createIfAbsent: (b, k, d) => (k.endsWith('.checkpoint.parquet') ? Promise.reject(new Error('disk full')) : store.createIfAbsent(b, k, d)),
    };
    const table = await DeltaTable.create(failing, BUCKET, 'failing-checkpoint', SCHEMA);
    for (let i = 1; i <= 10; i++) expect(await table.append([{ n: BigInt(i), label: null }])).toBe(i);
    expect(table.lastCheckpointError?.message).toBe('disk full');
    expect(fs.readdirSync(logDir('failing-checkpoint')).some((f) => f.includes('checkpoint'))).toBe(false);
    expect(await (await DeltaTable.open(store, BUCKET, 'failing-checkpoint')).readRows()).toHaveLength(10);
  });
});

describe('write protections', () => {
  it('respects delta.appendOnly=true: appends work, overwrite is refused', async () => {
    const table = await DeltaTable.create(store, BUCKET, 'append-only', SCHEMA, { configuration: { 'delta.appendOnly': 'true' } });
    await table.append([{ n: 1n, label: 'kept' }]);
    await expect(table.overwrite([{ n: 2n, label: 'x' }])).rejects.toThrow(/append-only \(delta.appendOnly=true\)/);
    await expect(table.overwrite([])).rejects.toThrow(DeltaWriteError);
    expect(await table.readRows()).toHaveLength(1);
  });

  it('refuses to write tables needing a newer writer protocol', async () => {
    const { store: fixtureStore, bucket } = openLocation(path.join(FIXTURES, 'table-with-dv-small'));
    const table = await DeltaTable.open(fixtureStore, bucket, '');
    await expect(table.append([{ value: 1 }])).rejects.toThrow(UnsupportedDeltaFeatureError);
  });

  it('refuses to create over an existing table', async () => {
    await expect(DeltaTable.create(store, BUCKET, 't1', SCHEMA)).rejects.toThrow(/already exists/);
    const same = await DeltaTable.openOrCreate(store, BUCKET, 't1', SCHEMA);
    expect(await same.latestVersion()).toBe(12);
  });
});
