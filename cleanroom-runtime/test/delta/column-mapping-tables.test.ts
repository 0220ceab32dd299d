/**
 * Column mapping (Delta protocol "Column Mapping", https://github.com/delta-io/delta/blob/master/PROTOCOL.md#column-mapping):
 * data files written by DuckDB (an independent Parquet writer) under physical names and field ids, logs written
 * by hand as Spark writes them. `name` mode resolves physical names, including after a rename and after a column
 * was dropped and added again; `id` mode resolves Parquet field ids whatever the file calls its columns; partition
 * values are keyed by physical name; the mode only counts where the protocol supports the feature.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, UnsupportedDeltaFeatureError } from '../../src/delta';
import type { StructField } from '../../src/delta';
import { LocalObjectStore } from '../../src/storage/local-store';
import { openDuckDb, sqlString, type DuckDb } from './duckdb';
import { writeCommit } from './log-edits';
import { comparable, sortRows } from './support';

const BUCKET = 'cm-bucket';
let root: string;
let store: LocalObjectStore;
let duck: DuckDb;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-cm-'));
  store = new LocalObjectStore(root);
  duck = await openDuckDb();
});
afterAll(() => {
  duck.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const tableDir = (name: string): string => path.join(root, 'gs', BUCKET, name);

/** A schema field with column mapping metadata (as Spark writes it). */
function mapped(name: string, type: StructField['type'], id: number, physical: string): StructField {
  return { name, type, nullable: true, metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': physical } };
}

function metaData(fields: StructField[], mode: string, partitionColumns: string[] = []): Record<string, unknown> {
  return {
    metaData: {
      id: 'cm-table',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({ type: 'struct', fields }),
      partitionColumns,
      configuration: { 'delta.columnMapping.mode': mode, 'delta.columnMapping.maxColumnId': '20' },
      createdTime: 1,
    },
  };
}

/** Writes `select` with DuckDB as a data file of the table (optional field ids) and returns its add action. */
async function dataFile(table: string, name: string, select: string, partitionValues: Record<string, string | null> = {}, fieldIds?: string): Promise<Record<string, unknown>> {
  fs.mkdirSync(tableDir(table), { recursive: true });
  const file = path.join(tableDir(table), name);
  await duck.query(`COPY (${select}) TO ${sqlString(file)} (FORMAT PARQUET${fieldIds ? `, FIELD_IDS ${fieldIds}` : ''})`);
  return { add: { path: name, partitionValues, size: fs.statSync(file).size, modificationTime: 1, dataChange: true } };
}

async function rows(table: string, version?: number): Promise<unknown[]> {
  const t = await DeltaTable.open(store, BUCKET, table);
  const snapshot = await t.snapshot(version);
  return sortRows((await t.readRows({ fromSnapshot: snapshot })).map((r) => comparable(r, snapshot.schema)));
}

const NAME_PROTOCOL = { protocol: { minReaderVersion: 2, minWriterVersion: 5 } };
const ID_PROTOCOL = { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['columnMapping'], writerFeatures: ['columnMapping'] } };

describe('column mapping mode name', () => {
  const id = mapped('id', 'long', 1, 'col-11');
  const amount = mapped('amount', 'long', 2, 'col-22');
  const info = mapped('info', { type: 'struct', fields: [mapped('city', 'string', 4, 'col-44')] }, 3, 'col-33');
  const region = mapped('region', 'string', 5, 'col-55');

  it('reads physical names, nested ones too, with partition values keyed by physical name', async () => {
    writeCommit(tableDir('names'), 0, [NAME_PROTOCOL, metaData([id, amount, info, region], 'name', ['region'])]);
    const add = await dataFile('names', 'a.parquet', `SELECT 1::BIGINT AS "col-11", 10::BIGINT AS "col-22", {'col-44': 'Paris'} AS "col-33"`, { 'col-55': 'eu' });
    writeCommit(tableDir('names'), 1, [add]);
    expect(await rows('names')).toEqual([{ id: '1', amount: '10', info: { city: 'Paris' }, region: 'eu' }]);
  });

  it('keeps reading a column after a rename (same physical name), and a dropped then re-added column reads null in old files', async () => {
    writeCommit(tableDir('renamed'), 0, [NAME_PROTOCOL, metaData([id, amount], 'name')]);
    writeCommit(tableDir('renamed'), 1, [await dataFile('renamed', 'a.parquet', `SELECT 1::BIGINT AS "col-11", 10::BIGINT AS "col-22"`)]);
    // ALTER TABLE RENAME COLUMN amount TO total; ALTER TABLE ADD COLUMN note
    const total = { ...amount, name: 'total' };
    const note = mapped('note', 'string', 6, 'col-66');
    writeCommit(tableDir('renamed'), 2, [metaData([id, total, note], 'name')]);
    writeCommit(tableDir('renamed'), 3, [await dataFile('renamed', 'b.parquet', `SELECT 2::BIGINT AS "col-11", 20::BIGINT AS "col-22", 'second' AS "col-66"`)]);
    expect(await rows('renamed')).toEqual([
      { id: '1', total: '10', note: null },
      { id: '2', total: '20', note: 'second' },
    ]);
    expect(await rows('renamed', 1)).toEqual([{ id: '1', amount: '10' }]);
    // ALTER TABLE DROP COLUMN note; ALTER TABLE ADD COLUMN note: a new physical name, so b.parquet's values are gone.
    writeCommit(tableDir('renamed'), 4, [metaData([id, total, mapped('note', 'string', 7, 'col-77')], 'name')]);
    expect(await rows('renamed')).toEqual([
      { id: '1', total: '10', note: null },
      { id: '2', total: '20', note: null },
    ]);
  });

  it('counts only where the protocol supports the feature: at reader version 1 the property is ignored', async () => {
    writeCommit(tableDir('v1-property'), 0, [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }, metaData([id, amount], 'name')]);
    writeCommit(tableDir('v1-property'), 1, [await dataFile('v1-property', 'a.parquet', `SELECT 3::BIGINT AS "id", 30::BIGINT AS "amount"`)]);
    expect(await rows('v1-property')).toEqual([{ id: '3', amount: '30' }]);
  });

  it('refuses an unknown mode instead of guessing', async () => {
    writeCommit(tableDir('odd-mode'), 0, [NAME_PROTOCOL, metaData([id], 'by-position')]);
    const table = await DeltaTable.open(store, BUCKET, 'odd-mode');
    await expect(table.snapshot()).rejects.toThrow(UnsupportedDeltaFeatureError);
    await expect(table.snapshot()).rejects.toThrow(/columnMapping.*"by-position" is not none, name or id/);
  });

  it('refuses to append: this writer does not write physical names', async () => {
    const table = await DeltaTable.open(store, BUCKET, 'names');
    await expect(table.append([{ id: 9n, amount: 1n, region: 'eu' }])).rejects.toThrow(/"writer version 5".*writes only tables at reader version 1 and writer version 2/);
  });
});

describe('column mapping mode id', () => {
  const a = mapped('a', 'long', 1, 'col-a');
  const b = mapped('b', 'string', 2, 'col-b');
  const s = mapped('s', { type: 'struct', fields: [mapped('inner', 'integer', 4, 'col-inner')] }, 3, 'col-s');
  const missing = mapped('later', 'integer', 9, 'col-later');

  it('finds columns by Parquet field id whatever the file names them; an id not in the file reads null', async () => {
    writeCommit(tableDir('ids'), 0, [ID_PROTOCOL, metaData([a, b, s, missing], 'id')]);
    const add = await dataFile(
      'ids',
      'a.parquet',
      `SELECT 99::BIGINT AS "col-a", 5::BIGINT AS x, 'hello' AS y, {'q': 7} AS z`,
      {},
      `{x: 1, y: 2, z: {__duckdb_field_id: 3, q: 4}, "col-a": 50}`,
    );
    writeCommit(tableDir('ids'), 1, [add]);
    expect(await rows('ids')).toEqual([{ a: '5', b: 'hello', s: { inner: 7 }, later: null }]);
  });

  it('refuses a data file without field ids (the protocol: refuse the file or return nulls)', async () => {
    writeCommit(tableDir('no-ids'), 0, [ID_PROTOCOL, metaData([a, b], 'id')]);
    writeCommit(tableDir('no-ids'), 1, [await dataFile('no-ids', 'a.parquet', `SELECT 5::BIGINT AS "col-a", 'x' AS "col-b"`)]);
    await expect((await DeltaTable.open(store, BUCKET, 'no-ids')).readRows()).rejects.toThrow(/a.parquet has no Parquet field ids, which column mapping mode "id" needs/);
  });
});
