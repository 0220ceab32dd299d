/** DuckDB (an independent Parquet reader, our Spark-compatibility proxy) for the Delta tests. */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface DuckDb {
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): void;
}

export async function openDuckDb(): Promise<DuckDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  return {
    async query(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Array<Record<string, unknown>>;
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
