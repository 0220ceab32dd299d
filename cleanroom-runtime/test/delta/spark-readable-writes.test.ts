/**
 * Tables this writer creates read on Spark without surprises:
 * - partition values (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#partition-value-serialization):
 *   decimals carry the column's scale (delta-kernel parses them at that scale), timestamps are ISO-8601 in UTC with
 *   `Z` (the zone-less form is read in the reader's session time zone), an empty string is a null partition value;
 * - decimal types Spark can hold (precision 1-38, scale ≤ precision: Spark's DecimalType.MAX_PRECISION);
 * - column names without the characters Delta refuses unless column mapping is on (" ,;{}()\n\t=",
 *   https://docs.databricks.com/gcp/en/delta/column-mapping);
 * - dates before 1582-10-15 and timestamps before 1900 read as written on Spark 3: the Parquet footer names a Spark
 *   version ≥ 3.1.0 and no legacy calendar key, so Spark's DataSourceUtils.getRebaseSpec picks CORRECTED
 *   (https://github.com/apache/spark/blob/master/sql/core/src/main/scala/org/apache/spark/sql/execution/datasources/DataSourceUtils.scala).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeltaTable } from '../../src/delta/table';
import { struct, type PrimitiveType, type StructType } from '../../src/delta/schema-types';
import { hyparquet } from '../../src/delta/parquet-lib';
import { LocalObjectStore } from '../../src/storage/local-store';

let root: string;
let store: LocalObjectStore;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanroom-spark-writes-'));
  store = new LocalObjectStore(root);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

async function addActions(prefix: string): Promise<Array<{ path: string; partitionValues: Record<string, string | null> }>> {
  const dir = path.join(root, 'gs', 'bkt', prefix, '_delta_log');
  const adds = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean)) {
      const action = JSON.parse(line) as { add?: { path: string; partitionValues: Record<string, string | null> } };
      if (action.add) adds.push(action.add);
    }
  }
  return adds;
}

test('decimal partition values carry the column scale and read back exactly', async () => {
  const schema: StructType = { type: 'struct', fields: [{ name: 'price', type: 'decimal(10,3)', nullable: true, metadata: {} }, { name: 'n', type: 'long', nullable: true, metadata: {} }] };
  const table = await DeltaTable.create(store, 'bkt', 't', schema, { partitionColumns: ['price'] });
  await table.append([{ price: '1.5', n: 1n }, { price: '-0.25', n: 2n }, { price: '7', n: 3n }]);
  expect((await addActions('t')).map((a) => a.partitionValues.price).sort()).toEqual(['-0.250', '1.500', '7.000']);
  expect((await table.readRows()).map((r) => r.price).sort()).toEqual(['-0.250', '1.500', '7.000']);
});

test('timestamp partition values are ISO-8601 in UTC with Z, and read back as the same instant', async () => {
  const schema = struct([['at', 'timestamp'], ['n', 'long']]);
  const table = await DeltaTable.create(store, 'bkt', 't', schema, { partitionColumns: ['at'] });
  const micros = BigInt(Date.UTC(2024, 4, 6, 6, 0, 0)) * 1000n + 123456n;
  await table.append([{ at: micros, n: 1n }]);
  expect((await addActions('t'))[0].partitionValues.at).toBe('2024-05-06T06:00:00.123456Z');
  expect((await table.readRows())[0].at).toBe(micros);
});

test('an empty-string partition value is written as null; refused for a non-nullable partition column', async () => {
  const nullable = await DeltaTable.create(store, 'bkt', 'nullable', struct([['country', 'string'], ['n', 'long']]), { partitionColumns: ['country'] });
  await nullable.append([{ country: '', n: 1n }, { country: 'FR', n: 2n }]);
  const adds = await addActions('nullable');
  expect(adds.map((a) => a.partitionValues.country).sort()).toEqual(['FR', null]);
  expect(adds.some((a) => a.path.startsWith('country=__HIVE_DEFAULT_PARTITION__/'))).toBe(true);
  const strict = await DeltaTable.create(store, 'bkt', 'strict', struct([['country', 'string', false], ['n', 'long']]), { partitionColumns: ['country'] });
  await expect(strict.append([{ country: '', n: 1n }])).rejects.toThrow(/partition column country is not nullable but a row has an empty string/);
  await expect(strict.append([{ country: null, n: 1n }])).rejects.toThrow(/column country is not nullable/);
});

test.each<PrimitiveType>(['decimal(39,2)', 'decimal(0,0)', 'decimal(5,6)'])('refuses a decimal Spark cannot hold: %s', async (type) => {
  const schema: StructType = { type: 'struct', fields: [{ name: 'd', type, nullable: true, metadata: {} }] };
  await expect(DeltaTable.create(store, 'bkt', 't', schema)).rejects.toThrow(/decimal/);
  expect(fs.existsSync(path.join(root, 'gs', 'bkt', 't'))).toBe(false);
});

test.each([' ', ',', ';', '{', '}', '(', ')', '\n', '\t', '='])('refuses a column name with %j (Delta needs column mapping for it)', async (ch) => {
  await expect(DeltaTable.create(store, 'bkt', 't', struct([[`count${ch}x`, 'long']]))).rejects.toThrow(/character Delta refuses without column mapping/);
});

/** Spark's DataSourceUtils.getRebaseSpec: the calendar a Parquet file is read in, from its footer. */
function sparkRebaseMode(footer: Record<string, string>, minVersion: string, legacyKey: string, modeByConfig = 'EXCEPTION'): string {
  const version = footer['org.apache.spark.version'];
  if (version === undefined) return modeByConfig;
  return version < minVersion || footer[legacyKey] !== undefined ? 'LEGACY' : 'CORRECTED';
}

test('old dates and timestamps are written so Spark 3 reads them as written (CORRECTED)', async () => {
  const table = await DeltaTable.create(store, 'bkt', 't', struct([['d', 'date'], ['ts', 'timestamp']]));
  const ts = BigInt(Date.UTC(1850, 0, 1)) * 1000n;
  await table.append([{ d: '1500-03-01', ts }]);
  const [add] = await addActions('t');
  const bytes = fs.readFileSync(path.join(root, 'gs', 'bkt', 't', add.path));
  const metadata = hyparquet.parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const footer = Object.fromEntries((metadata.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? '']));
  expect(sparkRebaseMode(footer, '3.0.0', 'org.apache.spark.legacyDateTime')).toBe('CORRECTED');
  expect(sparkRebaseMode(footer, '3.1.0', 'org.apache.spark.legacyINT96')).toBe('CORRECTED');
  expect(await table.readRows()).toEqual([{ d: '1500-03-01', ts }]);
});
