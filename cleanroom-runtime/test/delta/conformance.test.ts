/**
 * Conformance: every table in shared/fixtures/delta (written by Spark, Databricks and delta-rs) reads exactly as
 * expected.json says: the reader-v1 tables their `rows`, the tables with reader features (deletion vectors, column
 * mapping, timestamp_ntz) the `ifSupported` rows, which the fixtures derived independently of any reader here.
 * Fixtures are read in place (read-only).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeltaTable } from '../../src/delta';
import type { DeltaType, StructType } from '../../src/delta';
import { openLocation } from '../../src/storage/location';
import { comparable, FIXTURES, sortRows, type ComparableValue } from './support';

interface Expected {
  version: number;
  protocol: Record<string, unknown>;
  partitionColumns: string[];
  columns: string[];
  numFiles?: number;
  numRows?: number;
  rows?: Array<Record<string, unknown>>;
  /** For tables a reader-v1 implementation must refuse: what a reader with the feature returns. */
  ifSupported?: { numRows: number; rows: Array<Record<string, unknown>> };
}

const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;

async function openFixture(name: string): Promise<DeltaTable> {
  const { store, bucket, prefix } = openLocation(path.join(FIXTURES, name));
  return DeltaTable.open(store, bucket, prefix);
}

/** expected.json writes decimal(1,0) values as JSON numbers (the reader gives exact strings) and maps in any order. */
function normaliseExpected(row: Record<string, unknown>, schema: StructType): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) out[field.name] = normaliseValue(row[field.name], field.type);
  return out;
}

function normaliseValue(value: unknown, type: DeltaType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === 'string') return type.startsWith('decimal') ? String(value) : value;
  if (type.type === 'struct') return Object.fromEntries(type.fields.map((f) => [f.name, normaliseValue((value as Record<string, unknown>)[f.name], f.type)]));
  if (type.type === 'array') return (value as unknown[]).map((v) => normaliseValue(v, type.elementType));
  const entries = (value as Array<{ key: unknown; value: unknown }>).map((e) => ({ key: normaliseValue(e.key, type.keyType), value: normaliseValue(e.value, type.valueType) }));
  return sortRows(entries as ComparableValue[]);
}

/** Every fixture with the rows a reader supporting its features returns. */
const readable = Object.entries(expected).map(([name, e]) => [name, { ...e, rows: e.rows ?? e.ifSupported!.rows, numRows: e.numRows ?? e.ifSupported!.numRows }] as const);

describe('Delta conformance fixtures', () => {
  it('covers every fixture folder', () => {
    const folders = fs.readdirSync(FIXTURES).filter((f) => fs.existsSync(path.join(FIXTURES, f, '_delta_log')));
    expect(folders.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(readable)('%s reads exactly the expected rows', async (name, exp) => {
    const table = await openFixture(name);
    const snapshot = await table.snapshot();
    expect(snapshot.version).toBe(exp.version);
    expect(await table.latestVersion()).toBe(exp.version);
    expect(snapshot.protocol).toEqual(exp.protocol);
    expect(snapshot.partitionColumns).toEqual(exp.partitionColumns);
    expect(snapshot.schema.fields.map((f) => `${f.name}:${typeof f.type === "string" ? f.type : f.type.type}`)).toEqual(exp.columns);
    if (exp.numFiles !== undefined) expect(snapshot.files).toHaveLength(exp.numFiles);
    const rows = (await table.readRows({ fromSnapshot: snapshot })).map((r) => comparable(r, snapshot.schema));
    expect(rows).toHaveLength(exp.numRows);
    expect(sortRows(rows)).toEqual(sortRows(exp.rows.map((r) => normaliseExpected(r, snapshot.schema))));
  });

  it('keeps year-9999 INT96 timestamps exact beyond 2^53 microseconds', async () => {
    const table = await openFixture('table_with_edge_timestamps');
    const rows = await table.readRows();
    expect(rows.map((r) => r.BIG_DATE).sort()).toEqual([253402128000000000n, 253402214400000000n]);
  });

  describe('time travel', () => {
    const cases: Array<[string, number, number, (rows: Array<Record<string, unknown>>) => void]> = [
      ['snapshot-data1', 0, 10, (rows) => expect(rows.every((r) => String(r.col2).startsWith('data-0-'))).toBe(true)],
      ['snapshot-data2-deleted', 0, 10, () => undefined],
      ['snapshot-data2-deleted', 1, 20, () => undefined],
      ['snapshot-data2-deleted', 2, 10, (rows) => expect(rows.map((r) => r.col2).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `data-2-${i}`).sort())],
      ['snapshot-data2-deleted', 3, 30, () => undefined],
      ['snapshot-data2-deleted', 4, 20, () => undefined],
      ['time-travel-schema-changes-b', 0, 10, (rows) => expect(rows.every((r) => Object.keys(r).join() === 'id')).toBe(true)],
    ];
    it.each(cases)('%s at version %d has %d rows', async (name, version, count, check) => {
      const table = await openFixture(name);
      const rows = await table.readRows({ version });
      expect(rows).toHaveLength(count);
      check(rows);
    });

    it('reads versions before and after a checkpoint the same way as the full log', async () => {
      const table = await openFixture('basic-with-inserts-deletes-checkpoint');
      const atCheckpoint = await table.snapshot(10);
      const before = await table.snapshot(9);
      expect(atCheckpoint.version).toBe(10);
      expect(before.version).toBe(9);
      expect((await table.readRows({ version: 13 })).length).toBe(41);
    });

    it('rejects a version that does not exist, naming the latest', async () => {
      const table = await openFixture('snapshot-data1');
      await expect(table.snapshot(7)).rejects.toThrow(/latest version is 1/);
    });
  });

  it('reports the fixture history with operations', async () => {
    const table = await openFixture('snapshot-data2-deleted');
    const history = await table.history();
    expect(history.map((h) => h.version)).toEqual([0, 1, 2, 3, 4]);
    expect(history[4].operation).toBe('DELETE');
  });

  it('throws a clear error when there is no table', async () => {
    const { store, bucket } = openLocation(FIXTURES);
    await expect(DeltaTable.open(store, bucket, 'no-such-table')).rejects.toThrow(/no Delta table at .*no-such-table/);
  });
});
