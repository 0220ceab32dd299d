/**
 * Round trip through the writer and reader: every column type, nulls, edge timestamps, unicode, decimals,
 * partitioning and schema evolution. The data files are also read by DuckDB's read_parquet (an independent
 * reader) and their footers and page headers are checked: DataPage V1, SNAPPY, the logical types Spark writes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable, DeltaWriteError, formatTimestamp, struct } from '../../src/delta';
import type { DeltaRow, StructType } from '../../src/delta';
import { CONTROL_TABLES } from '../../src/control/tables';
import { hyparquet } from '../../src/delta/parquet-lib';
import { LocalObjectStore } from '../../src/storage/local-store';
import { openDuckDb, sqlString, DuckDb } from './duckdb';
import { comparable, sortRows } from './support';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeTCompactProtocol } = require('hyparquet/src/thrift.js') as {
  deserializeTCompactProtocol(reader: { view: DataView; offset: number }): Record<string, unknown>;
};

const BUCKET = 'roundtrip-bucket';
let root: string;
let store: LocalObjectStore;
let duck: DuckDb;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delta-roundtrip-'));
  store = new LocalObjectStore(root);
  duck = await openDuckDb();
});
afterAll(() => {
  duck.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const ALL_TYPES: StructType = struct([
  ['s', 'string'],
  ['l', 'long'],
  ['i', 'integer'],
  ['sh', 'short'],
  ['b', 'byte'],
  ['f', 'float'],
  ['d', 'double'],
  ['bool', 'boolean'],
  ['bin', 'binary'],
  ['dt', 'date'],
  ['ts', 'timestamp'],
  ['dec9', 'decimal(9,2)'],
  ['dec18', 'decimal(18,4)'],
  ['dec38', 'decimal(38,10)'],
  ['req', 'string', false],
]);

const Y9999 = 253402300799999999n; // 9999-12-31T23:59:59.999999Z
const ALL_TYPES_ROWS: DeltaRow[] = [
  {
    s: 'héllo wörld ✓ 𝄞 日本', l: 9007199254740993n, i: -2147483648, sh: -32768, b: -128, f: 1.5, d: -0.1, bool: true,
    bin: new Uint8Array([0, 255, 7]), dt: '2024-02-29', ts: 1_700_000_000_123_456n, dec9: '-1234567.89',
    dec18: '12345678901234.5678', dec38: '-1234567890123456789012345678.0123456789', req: 'a',
  },
  {
    s: '', l: -9223372036854775808n, i: 2147483647, sh: 32767, b: 127, f: -0, d: 1e300, bool: false,
    bin: new Uint8Array([]), dt: '1900-01-01', ts: -1_000_000_000_000_001n, dec9: '0.00', dec18: '-0.0001', dec38: '0.0000000001', req: 'b',
  },
  { s: 'max', l: 9223372036854775807n, i: 0, sh: 0, b: 0, f: 3.25, d: 0, bool: true, bin: new Uint8Array([1]), dt: '9999-12-31', ts: Y9999, dec9: '9999999.99', dec18: '99999999999999.9999', dec38: '9999999999999999999999999999.9999999999', req: 'c' },
  { s: null, l: null, i: null, sh: null, b: null, f: null, d: null, bool: null, bin: null, dt: null, ts: null, dec9: null, dec18: null, dec38: null, req: 'all null' },
];

/** Reader output equals writer input exactly (decimals normalised to the column scale). */
function expectSameRows(actual: DeltaRow[], expected: DeltaRow[], schema: StructType): void {
  expect(sortRows(actual.map((r) => comparable(r, schema)))).toEqual(sortRows(expected.map((r) => comparable(r, schema))));
}

async function dataFilePaths(table: DeltaTable, prefix: string): Promise<string[]> {
  const snapshot = await table.snapshot();
  return snapshot.files.map((f) => path.join(root, 'gs', BUCKET, prefix, f.path));
}

describe('writer → reader round trip', () => {
  it('keeps every column type exact, including nulls, year 9999, pre-1970 and unicode', async () => {
    const table = await DeltaTable.create(store, BUCKET, 'tables/all-types', ALL_TYPES);
    const version = await table.append(ALL_TYPES_ROWS);
    expect(version).toBe(1);
    const rows = await table.readRows();
    expect(rows).toHaveLength(ALL_TYPES_ROWS.length);
    const byReq = new Map(rows.map((r) => [r.req, r]));
    expect(byReq.get('c')!.ts).toBe(Y9999);
    expect(byReq.get('b')!.l).toBe(-9223372036854775808n);
    expect(byReq.get('a')!.dec38).toBe('-1234567890123456789012345678.0123456789');
    expect(byReq.get('b')!.dec9).toBe('0.00');
    expectSameRows(rows, ALL_TYPES_ROWS, ALL_TYPES);
    // A fresh reader (no cached state) sees the same.
    const reopened = await DeltaTable.open(store, BUCKET, 'tables/all-types');
    expectSameRows(await reopened.readRows(), ALL_TYPES_ROWS, ALL_TYPES);
  });

  it('writes files DuckDB read_parquet reads with the same values', async () => {
    const table = await DeltaTable.open(store, BUCKET, 'tables/all-types');
    const [file] = await dataFilePaths(table, 'tables/all-types');
    const got = await duck.query(`
      SELECT req, s, l::VARCHAR AS l, i, sh, b, f, d, bool, hex(bin) AS bin, dt::VARCHAR AS dt,
             epoch_us(ts)::VARCHAR AS ts, dec9::VARCHAR AS dec9, dec18::VARCHAR AS dec18, dec38::VARCHAR AS dec38
      FROM read_parquet(${sqlString(file)}) ORDER BY req`);
    const want = [...ALL_TYPES_ROWS].sort((a, b) => String(a.req).localeCompare(String(b.req))).map((r) => ({
      req: r.req,
      s: r.s,
      l: r.l === null ? null : String(r.l),
      i: r.i,
      sh: r.sh,
      b: r.b,
      f: r.f,
      d: r.d,
      bool: r.bool,
      bin: r.bin === null ? null : Buffer.from(r.bin as Uint8Array).toString('hex').toUpperCase(),
      dt: r.dt,
      ts: r.ts === null ? null : String(r.ts),
      dec9: r.dec9,
      dec18: r.dec18,
      dec38: r.dec38,
    }));
    expect(got).toHaveLength(4);
    expect(got).toEqual(want);
  });

  it('writes DataPage V1 pages, SNAPPY, and the logical types Spark writes', async () => {
    const table = await DeltaTable.open(store, BUCKET, 'tables/all-types');
    const [file] = await dataFilePaths(table, 'tables/all-types');
    const schema = await duck.query(`SELECT name, type, converted_type, logical_type, type_length FROM parquet_schema(${sqlString(file)})`);
    const byName = new Map(schema.map((r) => [r.name, r]));
    expect(byName.get('ts')).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MICROS' });
    expect(String(byName.get('ts')!.logical_type)).toMatch(/isAdjustedToUTC=1.*MICROS=MicroSeconds/);
    expect(byName.get('b')).toMatchObject({ type: 'INT32', converted_type: 'INT_8' });
    expect(byName.get('sh')).toMatchObject({ type: 'INT32', converted_type: 'INT_16' });
    expect(byName.get('i')).toMatchObject({ type: 'INT32', converted_type: null });
    expect(byName.get('l')).toMatchObject({ type: 'INT64', converted_type: null });
    expect(byName.get('bin')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: null });
    expect(byName.get('s')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    expect(byName.get('dt')).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
    expect(byName.get('dec9')).toMatchObject({ type: 'INT32', converted_type: 'DECIMAL' });
    expect(byName.get('dec18')).toMatchObject({ type: 'INT64', converted_type: 'DECIMAL' });
    expect(byName.get('dec38')).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', converted_type: 'DECIMAL', type_length: '16' });

    const meta = await duck.query(`SELECT path_in_schema, compression, data_page_offset FROM parquet_metadata(${sqlString(file)})`);
    expect(meta).toHaveLength(ALL_TYPES.fields.length);
    const bytes = fs.readFileSync(file);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const column of meta) {
      expect(column.compression).toBe('SNAPPY');
      const header = deserializeTCompactProtocol({ view, offset: Number(column.data_page_offset) });
      expect(header.field_1).toBe(0); // PageType.DATA_PAGE (V2 would be 3)
      expect(header.field_5).toBeDefined(); // data_page_header (V1)
      expect(header.field_8).toBeUndefined(); // no data_page_header_v2
    }
    // hyparquet agrees on the row count from the same footer.
    const footer = hyparquet.parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expect(Number(footer.num_rows)).toBe(ALL_TYPES_ROWS.length);
  });

  it('writes add actions with stats Spark can use for skipping', async () => {
    const table = await DeltaTable.open(store, BUCKET, 'tables/all-types');
    const [file] = (await table.snapshot()).files;
    const stats = JSON.parse(file.stats!);
    expect(stats.numRecords).toBe(4);
    expect(stats.nullCount).toMatchObject({ s: 1, ts: 1, req: 0 });
    expect(stats.minValues).toMatchObject({ i: -2147483648, dt: '1900-01-01' });
    expect(stats.maxValues).toMatchObject({ i: 2147483647, dt: '9999-12-31' });
    expect(stats.minValues.l).toBeUndefined(); // beyond 2^53: left out rather than rounded
    expect(stats.minValues.ts).toBeUndefined();
  });

  it.each(Object.entries(CONTROL_TABLES))('round-trips the %s control table schema', async (name, schema) => {
    const rows: DeltaRow[] = [0, 1, 2].map((n) => {
      const row: DeltaRow = {};
      for (const field of schema.fields) {
        if (n === 2 && field.nullable) row[field.name] = null;
        else if (field.type === 'timestamp') row[field.name] = BigInt(n) * 1_000_001n - 86_400_000_000n;
        else if (field.type === 'long') row[field.name] = BigInt(n) - 1n;
        else row[field.name] = `${field.name} ${n} ✓`;
      }
      return row;
    });
    const table = await DeltaTable.create(store, BUCKET, `control/${name}`, schema);
    await table.append(rows);
    expectSameRows(await table.readRows(), rows, schema);
  });

  it('round-trips partitioned tables, including null and awkward partition values', async () => {
    const schema = struct([['id', 'integer'], ['region', 'string'], ['day', 'date'], ['at', 'timestamp'], ['n', 'long']]);
    const table = await DeltaTable.create(store, BUCKET, 'tables/partitioned', schema, { partitionColumns: ['region', 'day', 'at', 'n'] });
    const rows: DeltaRow[] = [
      { id: 1, region: 'eu/west: 50% #1', day: '2024-01-01', at: 1_704_067_200_000_001n, n: 5n },
      { id: 2, region: 'eu/west: 50% #1', day: '2024-01-01', at: 1_704_067_200_000_001n, n: 5n },
      { id: 3, region: null, day: null, at: null, n: null },
      { id: 4, region: 'ünï', day: '1969-07-20', at: -14_182_940_000_000n, n: -1n },
    ];
    await table.append(rows);
    const snapshot = await table.snapshot();
    expect(snapshot.files).toHaveLength(3);
    const nullFile = snapshot.files.find((f) => f.partitionValues.region === null)!;
    expect(nullFile.path).toMatch(/^region=__HIVE_DEFAULT_PARTITION__\/day=__HIVE_DEFAULT_PARTITION__\//);
    const at = snapshot.files.find((f) => f.partitionValues.region === 'ünï')!.partitionValues.at;
    expect(at).toBe('1969-07-20T20:17:40.000000Z');
    // Partition columns are not stored in the files (as Spark does): DuckDB sees only `id`.
    const cols = await duck.query(`SELECT name FROM parquet_schema(${sqlString(path.join(root, 'gs', BUCKET, 'tables/partitioned', nullFile.path))}) WHERE type IS NOT NULL`);
    expect(cols.map((c) => c.name)).toEqual(['id']);
    expectSameRows(await table.readRows(), rows, schema);
    expect(formatTimestamp(rows[3].at as bigint)).toBe('1969-07-20T20:17:40.000000Z');
  });

  it('reads old files after a schema change with the new columns as null', async () => {
    const v0 = struct([['id', 'long']]);
    const table = await DeltaTable.create(store, BUCKET, 'tables/evolving', v0);
    await table.append([{ id: 1n }, { id: 2n }]);
    // Evolve the schema the way Spark's mergeSchema does: a commit carrying only a new metaData.
    const snapshot = await table.snapshot();
    const v1 = struct([['id', 'long'], ['note', 'string']]);
    const metaData = { ...snapshot.metadata, schemaString: JSON.stringify(v1) };
    await store.createIfAbsent(BUCKET, 'tables/evolving/_delta_log/00000000000000000002.json', new TextEncoder().encode(`${JSON.stringify({ commitInfo: { operation: 'SET TBLPROPERTIES' } })}\n${JSON.stringify({ metaData })}\n`));
    await table.append([{ id: 3n, note: 'new' }]);
    expectSameRows(await table.readRows(), [{ id: 1n, note: null }, { id: 2n, note: null }, { id: 3n, note: 'new' }], v1);
    expect((await table.readRows({ version: 1 })).map((r) => Object.keys(r))).toEqual([['id'], ['id']]);
  });

  it('overwrites (time travel still sees the old rows) and refuses bad rows with clear errors', async () => {
    const schema = struct([['k', 'string', false], ['v', 'integer'], ['amount', 'decimal(5,2)']]);
    const table = await DeltaTable.create(store, BUCKET, 'tables/overwrite', schema);
    await table.append([{ k: 'a', v: 1, amount: '1.5' }]);
    const v2 = await table.overwrite([{ k: 'b', v: 2, amount: '-2' }]);
    expectSameRows(await table.readRows(), [{ k: 'b', v: 2, amount: '-2.00' }], schema);
    expectSameRows(await table.readRows({ version: v2 - 1 }), [{ k: 'a', v: 1, amount: '1.50' }], schema);
    await expect(table.append([{ k: 'c', extra: 1 }])).rejects.toThrow(/column "extra", which is not in the table schema/);
    await expect(table.append([{ k: null }])).rejects.toThrow(/column k is not nullable/);
    await expect(table.append([{ k: 'x', v: 2 ** 31 }])).rejects.toThrow(DeltaWriteError);
    await expect(table.append([{ k: 'x', amount: '1.234' }])).rejects.toThrow(/more than 2 fraction digits/);
    await expect(table.append([{ k: 'x', amount: '1234' }])).rejects.toThrow(/does not fit decimal\(5,2\)/);
    expect(await table.latestVersion()).toBe(v2);
  });
});
