/**
 * The three fixtures with reader features, derived a second way, independently of this reader: DuckDB reads the
 * Parquet files (it knows nothing of the Delta log) and the test applies the facts of each table's log by hand —
 * the DELETE predicate of table-with-dv-small, the physical names of table-with-columnmapping-mode-name, the
 * partition values of data-reader-timestamp_ntz. The reader's rows must be exactly those.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeltaTable } from '../../src/delta';
import type { DeltaType, StructType } from '../../src/delta';
import { bitmapFromFile, deletedRowIndexes } from '../../src/delta/deletion-vectors';
import { openLocation } from '../../src/storage/location';
import { openDuckDb, sqlString, type DuckDb } from './duckdb';
import { comparable, FIXTURES, sortRows, type ComparableValue } from './support';

let duck: DuckDb;
beforeAll(async () => {
  duck = await openDuckDb();
});
afterAll(() => duck.close());

async function readFixture(name: string): Promise<{ rows: Array<Record<string, ComparableValue>>; schema: StructType }> {
  const { store, bucket, prefix } = openLocation(path.join(FIXTURES, name));
  const table = await DeltaTable.open(store, bucket, prefix);
  const snapshot = await table.snapshot();
  return { rows: (await table.readRows({ fromSnapshot: snapshot })).map((r) => comparable(r, snapshot.schema)), schema: snapshot.schema };
}

function logActions(name: string, version: number): Array<Record<string, Record<string, unknown>>> {
  const file = path.join(FIXTURES, name, '_delta_log', `${String(version).padStart(20, '0')}.json`);
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
}

describe('fixtures with reader features, derived with DuckDB and the log read by hand', () => {
  it('table-with-dv-small: the rows DELETE ... WHERE value IN (0, 9) left, and the deletion vector marks exactly those rows', async () => {
    const name = 'table-with-dv-small';
    const commit = logActions(name, 1);
    expect(JSON.stringify(commit[0].commitInfo.operationParameters)).toContain('IN (0, 9)');
    const dataFile = path.join(FIXTURES, name, String(commit.find((a) => a.add)!.add.path));
    const kept = await duck.query(`SELECT value FROM read_parquet(${sqlString(dataFile)}) WHERE value NOT IN (0, 9) ORDER BY value`);
    const { rows } = await readFixture(name);
    expect(sortRows(rows)).toEqual(sortRows(kept));
    expect(rows).toHaveLength(8);

    // The positions DuckDB gives the deleted values are what our bitmap reader decodes from Databricks' DV file.
    const positions = await duck.query(`SELECT file_row_number FROM read_parquet(${sqlString(dataFile)}, file_row_number = true) WHERE value IN (0, 9) ORDER BY 1`);
    const dv = commit.find((a) => a.add)!.add.deletionVector as { offset: number; sizeInBytes: number; cardinality: number };
    const dvFile = fs.readFileSync(path.join(FIXTURES, name, 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin'));
    const decoded = deletedRowIndexes(bitmapFromFile(dvFile, dv.offset, dv.sizeInBytes), dv.cardinality, 10);
    expect(decoded).toEqual(positions.map((p) => Number(p.file_row_number)));
  });

  it('table-with-columnmapping-mode-name: DuckDB rows under physical names, renamed with the schema of the log, are the rows read', async () => {
    const name = 'table-with-columnmapping-mode-name';
    const metaData = logActions(name, 0).find((a) => a.metaData)!.metaData;
    const schema = JSON.parse(String(metaData.schemaString)) as StructType;
    const physical = (logical: string): string => String(schema.fields.find((f) => f.name === logical)!.metadata['delta.columnMapping.physicalName']);
    const files = fs.readdirSync(path.join(FIXTURES, name)).filter((f) => f.endsWith('.parquet')).map((f) => path.join(FIXTURES, name, f));
    // Binary and timestamp in the fixture's conventions, computed by DuckDB.
    const duckRows = await duck.query(
      `SELECT * REPLACE ('hex:' || lower(hex(${q(physical('BinaryType'))})) AS ${q(physical('BinaryType'))},
         strftime(${q(physical('TimestampType'))} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') AS ${q(physical('TimestampType'))})
       FROM read_parquet([${files.map(sqlString).join(', ')}])`,
    );
    const derived = duckRows.map((row) => Object.fromEntries(schema.fields.map((f) => [f.name, toLogical(row[physical(f.name)], f.type)])));
    const { rows } = await readFixture(name);
    expect(rows).toHaveLength(6);
    expect(sortRows(rows)).toEqual(sortRows(derived));
  });

  it('data-reader-timestamp_ntz: DuckDB wall-clock values with the partition value the log gives each file are the rows read', async () => {
    const name = 'data-reader-timestamp_ntz';
    const adds = logActions(name, 1).flatMap((a) => (a.add ? [a.add] : []));
    const derived: Array<Record<string, ComparableValue>> = [];
    for (const add of adds) {
      const file = path.join(FIXTURES, name, decodeURIComponent(String(add.path)));
      const partition = (add.partitionValues as Record<string, string | null>).tsNtzPartition;
      const values = await duck.query(`SELECT id, strftime(tsNtz, '%Y-%m-%dT%H:%M:%S.%f') AS tsNtz FROM read_parquet(${sqlString(file)})`);
      for (const v of values) derived.push({ id: v.id as number, tsNtz: v.tsNtz as string | null, tsNtzPartition: partition === null ? null : partition.replace(' ', 'T') });
    }
    const { rows } = await readFixture(name);
    expect(rows).toHaveLength(9);
    expect(sortRows(rows)).toEqual(sortRows(derived));
  });
});

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A DuckDB JSON value under physical names → the comparable form under logical names (support.ts conventions). */
function toLogical(value: unknown, type: DeltaType): ComparableValue {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') return value as ComparableValue;
  if (type.type === 'struct') {
    const struct = value as Record<string, unknown>;
    return Object.fromEntries(type.fields.map((f) => [f.name, toLogical(struct[String(f.metadata['delta.columnMapping.physicalName'])], f.type)]));
  }
  if (type.type === 'array') return (value as unknown[]).map((v) => toLogical(v, type.elementType));
  const entries = (value as Array<{ key: unknown; value: unknown }>).map((e) => ({ key: toLogical(e.key, type.keyType), value: toLogical(e.value, type.valueType) }));
  return sortRows(entries);
}
