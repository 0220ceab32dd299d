/**
 * Small Parquet files that decode to a great deal (what a hostile participant would put in its bucket), made with
 * DuckDB (an independent writer) in a temp folder, and hand-written Delta commits that add them to a table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commitFileName, logPrefix } from '../../src/delta/actions';
import type { StructType } from '../../src/delta/schema-types';
import type { ObjectStore } from '../../src/storage/object-store';
import { openDuckDb, sqlString } from '../delta/duckdb';

/** Constant SQL values for each column of `schema` (all rows identical, so the file stays tiny). */
function constantColumns(schema: StructType): string {
  return schema.fields
    .map((field) => {
      const value = field.type === 'timestamp' ? "TIMESTAMP '2026-01-01 00:00:00'" : field.type === 'long' ? '1::BIGINT' : "'x'";
      return `${value} AS ${field.name}`;
    })
    .join(', ');
}

/** A Parquet file of `rows` identical rows with the columns of `schema`, as DuckDB writes it. */
export async function rowBomb(schema: StructType, rows: number): Promise<Uint8Array> {
  return duckDbParquet(`SELECT ${constantColumns(schema)} FROM range(${rows})`);
}

/** The Parquet file DuckDB writes for `select`. */
export async function duckDbParquet(select: string, options = ''): Promise<Uint8Array> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-bomb-'));
  const file = path.join(dir, 'bomb.parquet');
  const db = await openDuckDb();
  try {
    await db.query(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet${options})`);
    return new Uint8Array(fs.readFileSync(file));
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `bytes` under the table and commits it at `version` as an added file (a participant's hand-written commit). */
export async function commitDataFile(store: ObjectStore, bucket: string, tablePrefix: string, version: number, bytes: Uint8Array, extra: object[] = []): Promise<string> {
  const name = `part-bomb-${version}.parquet`;
  await store.put(bucket, `${tablePrefix}/${name}`, bytes);
  const add = { add: { path: name, partitionValues: {}, size: bytes.length, modificationTime: 0, dataChange: true } };
  await writeCommit(store, bucket, tablePrefix, version, [...extra, add]);
  return name;
}

/** Writes a commit file by hand (newline-delimited JSON actions). */
export async function writeCommit(store: ObjectStore, bucket: string, tablePrefix: string, version: number, actions: object[]): Promise<void> {
  const text = actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
  await store.put(bucket, logPrefix(tablePrefix) + commitFileName(version), new TextEncoder().encode(text));
}
