/**
 * Loads registered datasets into the (still unlocked) sandbox as real tables `"<participant>"."<table>"`.
 * Tables are materialised (CREATE TABLE AS): once external access is off, views over files would stop working.
 * A dataset that cannot be loaded does not stop the run; its reason is kept so that a query that needs it
 * fails with that reason instead of "table does not exist".
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetRef } from '../engine';
import type { DeltaBridge, DeltaSnapshotFiles } from './delta-bridge';
import { loadDeltaRows } from './delta-rows-loader';
import { deltaSelect } from './delta-select';
import { checkInsideBucket, listDataFiles } from './data-files';
import { localPathOf, parseGsLocation } from './gs-paths';
import { RunFailure, scrubHostPaths } from './run-failure';
import { literalList, quoteIdentifier, SQL_NAME } from './sql-text';

/** Schema names DuckDB already uses; a participant with one of these names would shadow or clash with them. */
const RESERVED_SCHEMAS = new Set(['main', 'temp', 'system', 'memory', 'information_schema', 'pg_catalog']);

export interface LoadContext {
  localRoot: string;
  delta: DeltaBridge;
}

export interface LoadReport {
  /** `<participant>.<table>` of every table created. */
  loaded: string[];
  /** `<participant>.<table>` → why it could not be loaded (host paths scrubbed). */
  failures: Map<string, string>;
}

export async function loadDatasets(connection: DuckDBConnection, datasets: readonly DatasetRef[], context: LoadContext): Promise<LoadReport> {
  const report: LoadReport = { loaded: [], failures: new Map() };
  for (const dataset of datasets) {
    const name = `${dataset.participant}.${dataset.table}`;
    try {
      if (report.loaded.includes(name) || report.failures.has(name)) {
        throw new RunFailure(`dataset ${name} is registered more than once`);
      }
      checkNames(dataset);
      const select = await selectFor(connection, dataset, context);
      const schema = quoteIdentifier(dataset.participant);
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      if (typeof select === 'string') await connection.run(`CREATE TABLE ${schema}.${quoteIdentifier(dataset.table)} AS ${select}`);
      else await loadDeltaRows(connection, dataset.participant, dataset.table, select.schema, select.rowsByFile());
      report.loaded.push(name);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      report.failures.set(name, scrubHostPaths(`dataset ${name} (${dataset.format} at ${dataset.location}) could not be loaded: ${reason}`, context.localRoot));
    }
  }
  return report;
}

function checkNames(dataset: DatasetRef): void {
  for (const [what, value] of [['participant', dataset.participant], ['table', dataset.table]] as const) {
    if (!SQL_NAME.test(value)) {
      throw new RunFailure(`${what} name ${JSON.stringify(value)} must match ${SQL_NAME.source}`);
    }
  }
  if (RESERVED_SCHEMAS.has(dataset.participant)) {
    throw new RunFailure(`participant name ${dataset.participant} is reserved by the SQL engine`);
  }
}

/** The SELECT that reads the dataset, or (Delta with deletion vectors or column mapping) its rows read by src/delta. */
async function selectFor(connection: DuckDBConnection, dataset: DatasetRef, context: LoadContext): Promise<string | Required<Pick<DeltaSnapshotFiles, 'schema' | 'rowsByFile'>>> {
  const location = parseGsLocation(dataset.location);
  const bucketDir = localPathOf(context.localRoot, { bucket: location.bucket, key: '' });
  if (dataset.format === 'delta') {
    // At the version the runtime checked: a log rewritten since then is not what the run reads.
    const snapshot = await context.delta.readSnapshot(location, dataset.version);
    // The log names the files: a hostile log must not reach files outside the bucket (links) or glob the bucket.
    await checkInsideBucket(snapshot.files.map((f) => f.path), bucketDir, dataset.location);
    if (snapshot.rowsByFile) return { schema: snapshot.schema, rowsByFile: snapshot.rowsByFile };
    return deltaSelect(snapshot);
  }
  const localPath = localPathOf(context.localRoot, location);
  const files = (suffixes: string[]) => listDataFiles(localPath, bucketDir, suffixes, dataset.location);
  switch (dataset.format) {
    case 'parquet':
      return `SELECT * FROM read_parquet(${literalList(await files(['.parquet']))}, union_by_name = true)`;
    case 'json':
      return `SELECT * FROM read_json_auto(${literalList(await files(['.json', '.jsonl', '.ndjson', '.json.gz', '.jsonl.gz']))}, union_by_name = true)`;
    case 'csv':
      return `SELECT * FROM read_csv_auto(${literalList(await files(['.csv', '.csv.gz']))}, header = true, union_by_name = true)`;
    case 'avro':
      if (!(await avroAvailable(connection))) {
        throw new RunFailure(
          'the local engine cannot read avro: its DuckDB has no built-in avro reader and never downloads extensions; ' +
            'register the data as parquet, json, csv or delta, or use the Databricks engine',
        );
      }
      return `SELECT * FROM read_avro(${literalList(await files(['.avro']))}, union_by_name = true)`;
  }
}

async function avroAvailable(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'avro'");
  return reader.getRows().some(([loaded]) => loaded === true);
}
