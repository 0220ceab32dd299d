/**
 * Local runs over Delta datasets as Databricks writes them: the three fixtures with reader features (copied into
 * a participant's bucket) and a table this runtime wrote, then deleted from. Deleted rows must not reach the approved SQL
 * and columns must carry their logical names, nested fields too; the expected values come from the fixtures'
 * expected.json and from the rows the test wrote, never from the reader.
 */
import { cpSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeltaTable, struct } from '../../../src/delta';
import type { DatasetRef } from '../../../src/engines/engine';
import { LocalEngine } from '../../../src/engines/local';
import { LocalObjectStore } from '../../../src/storage/local-store';
import { inlineDv } from '../../delta/dv-builder';
import { writeCommit } from '../../delta/log-edits';
import { FIXTURES, sortRows } from '../../delta/support';
import { makeLocalRoot, readDeltaWithDuckDb, runSpec, type LocalRoot } from './local-fixtures';

let local: LocalRoot;
beforeAll(async () => {
  local = await makeLocalRoot();
  for (const name of ['table-with-dv-small', 'table-with-columnmapping-mode-name', 'data-reader-timestamp_ntz']) {
    cpSync(path.join(FIXTURES, name), local.pathOf('publisher-bucket', `data/${name}`), { recursive: true });
  }
});
afterAll(() => local.cleanup());

const dataset = (table: string, fixture: string): DatasetRef => ({ participant: 'publisher', table, location: `gs://publisher-bucket/data/${fixture}`, format: 'delta' });
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, { ifSupported: { rows: Array<Record<string, unknown>> } }>;

async function run(datasets: DatasetRef[], sql: string, output: string): Promise<Array<Record<string, unknown>>> {
  const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
  const status = await engine.getRun((await engine.submit(runSpec(datasets, sql, { outputLocation: `gs://advertiser-bucket/output/${output}` }))).runId);
  expect(status.error).toBeUndefined();
  return readDeltaWithDuckDb(local.pathOf('advertiser-bucket', `output/${output}`));
}

describe('local runs over Delta datasets with reader features', () => {
  test('deleted rows (deletion vector) are not in the dataset', async () => {
    const rows = await run([dataset('dv', 'table-with-dv-small')], 'SELECT value, count(*) OVER () AS total FROM publisher.dv ORDER BY value', 'dv');
    expect(rows).toEqual(expected['table-with-dv-small'].ifSupported.rows.map((r) => ({ value: r.value, total: '8' })));
  });

  test('column-mapped columns have their logical names, nested fields, lists and maps too', async () => {
    // Spark SQL, as on Databricks (subscripts of lists and maps are refused in local rehearsal: their values are
    // checked by the Delta reader's own tests).
    const sql = `SELECT \`IntegerType\` AS i, \`LongType\` AS l, \`StringType\` AS s, CAST(\`decimal\` AS STRING) AS d, \`DateType\` AS day,
                        nested_struct.aa AS aa, nested_struct.ac.aca AS aca, size(array_of_prims) AS prims, size(map_of_rows) AS rows
                 FROM publisher.mapped`;
    const rows = await run([dataset('mapped', 'table-with-columnmapping-mode-name')], sql, 'mapped');
    const want = expected['table-with-columnmapping-mode-name'].ifSupported.rows.map((r) => {
      const i = r.IntegerType as number | null;
      const struct = r.nested_struct as { aa: string; ac: { aca: number } } | null;
      // size() of a null list or map is NULL in ANSI mode (https://spark.apache.org/docs/latest/api/sql/#size).
      const size = (value: unknown): number | null => (value === null ? null : (value as unknown[]).length);
      return {
        i, l: r.LongType, s: r.StringType, d: r.decimal, day: r.DateType, aa: struct?.aa ?? null, aca: struct?.ac.aca ?? null,
        prims: size(r.array_of_prims), rows: size(r.map_of_rows),
      };
    });
    expect(rows).toHaveLength(6);
    expect(sortRows(rows)).toEqual(sortRows(want));
  });

  test('timestamp_ntz values and partitions keep their wall-clock time', async () => {
    const sql = 'SELECT id, `tsNtz` AS ts, `tsNtzPartition` AS part FROM publisher.ntz ORDER BY id';
    const rows = await run([dataset('ntz', 'data-reader-timestamp_ntz')], sql, 'ntz');
    // Written to the output as timestamps of the same wall-clock time (read back by DuckDB as UTC).
    const asRead = (v: unknown) => (v === null ? null : `${String(v).replace('T', ' ')}+00`);
    expect(rows).toEqual(expected['data-reader-timestamp_ntz'].ifSupported.rows.map((r) => ({ id: r.id, ts: asRead(r.tsNtz), part: asRead(r.tsNtzPartition) })));
  });

  test('a table this runtime wrote, then deleted from with deletion vectors (as Databricks does), loses exactly the deleted rows', async () => {
    const store = new LocalObjectStore(local.root);
    const table = await DeltaTable.create(store, 'publisher-bucket', 'data/users', struct([['user_id', 'long'], ['country', 'string']]));
    await table.append([1, 2, 3, 4].map((id) => ({ user_id: BigInt(id), country: id % 2 ? 'FR' : 'DE' })));
    const dir = local.pathOf('publisher-bucket', 'data/users');
    const add = JSON.parse(readFileSync(path.join(dir, '_delta_log', '00000000000000000001.json'), 'utf8').trim().split('\n').find((l) => l.includes('"add"'))!).add;
    writeCommit(dir, 2, [
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } },
      { remove: { path: add.path, dataChange: true, deletionTimestamp: 1 } },
      { add: { ...add, deletionVector: inlineDv([0, 3]) } },
    ]);
    const rows = await run([dataset('users', 'users')], 'SELECT user_id, country FROM publisher.users ORDER BY user_id', 'users');
    expect(rows).toEqual([{ user_id: '2', country: 'DE' }, { user_id: '3', country: 'FR' }]);
  });
});
