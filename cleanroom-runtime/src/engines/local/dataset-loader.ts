/**
 * Loads registered datasets into the (still unlocked) sandbox as real tables `"<participant>"."<table>"`.
 * Tables are materialised (CREATE TABLE AS): once external access is off, views over files would stop working.
 * DuckDB reads the run's private copies of the data files (data-files.ts), removed once the tables are loaded.
 * A dataset that cannot be loaded does not stop the run; its reason is kept so that a query that needs it
 * fails with that reason instead of "table does not exist".
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LocalObjectStore } from '../../storage/local-store';
import type { DatasetRef } from '../engine';
import type { DeltaBridge, DeltaSnapshotFiles } from './delta-bridge';
import { loadDeltaRows } from './delta-rows-loader';
import { deltaSelect } from './delta-select';
import { copySuffix, DataFileCopies, DEFAULT_MAX_DATA_BYTES, DEFAULT_MAX_DATA_FILES, listDataFileKeys } from './data-files';
import { parseGsLocation } from './gs-paths';
import { RunFailure, scrubHostPaths } from './run-failure';
import { literalList, quoteIdentifier, SQL_NAME } from './sql-text';

/** Schema names DuckDB already uses; a participant with one of these names would shadow or clash with them. */
const RESERVED_SCHEMAS = new Set(['main', 'temp', 'system', 'memory', 'information_schema', 'pg_catalog']);

export interface LoadContext {
  localRoot: string;
  delta: DeltaBridge;
  /** Where the run's private folder of data file copies is made; default the OS temp folder. */
  scratchDir?: string;
  /** Bytes of data files one run may copy, all datasets together (default DEFAULT_MAX_DATA_BYTES). */
  maxDataBytes?: number;
  /** Data files one run may copy, all datasets together (default DEFAULT_MAX_DATA_FILES). */
  maxDataFiles?: number;
}

interface Loading {
  store: LocalObjectStore;
  copies: DataFileCopies;
  delta: DeltaBridge;
  maxFiles: number;
}

export interface LoadReport {
  /** `<participant>.<table>` of every table created. */
  loaded: string[];
  /** `<participant>.<table>` → why it could not be loaded (host paths scrubbed). */
  failures: Map<string, string>;
}

export async function loadDatasets(connection: DuckDBConnection, datasets: readonly DatasetRef[], context: LoadContext): Promise<LoadReport> {
  const report: LoadReport = { loaded: [], failures: new Map() };
  const store = new LocalObjectStore(context.localRoot);
  const maxFiles = context.maxDataFiles ?? DEFAULT_MAX_DATA_FILES;
  const copies = await DataFileCopies.create(store, { maxBytes: context.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES, maxFiles }, context.scratchDir);
  try {
    await loadEach(connection, datasets, { store, copies, delta: context.delta, maxFiles }, report, context.localRoot);
  } finally {
    await copies.dispose();
  }
  return report;
}

async function loadEach(connection: DuckDBConnection, datasets: readonly DatasetRef[], loading: Loading, report: LoadReport, localRoot: string): Promise<void> {
  for (const dataset of datasets) {
    const name = `${dataset.participant}.${dataset.table}`;
    try {
      if (report.loaded.includes(name) || report.failures.has(name)) {
        throw new RunFailure(`dataset ${name} is registered more than once`);
      }
      checkNames(dataset);
      const select = await selectFor(connection, dataset, loading);
      const schema = quoteIdentifier(dataset.participant);
      await connection.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      if (typeof select === 'string') await connection.run(`CREATE TABLE ${schema}.${quoteIdentifier(dataset.table)} AS ${select}`);
      else await loadDeltaRows(connection, dataset.participant, dataset.table, select.schema, select.rowsByFile());
      report.loaded.push(name);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      report.failures.set(name, scrubHostPaths(`dataset ${name} (${dataset.format} at ${dataset.location}) could not be loaded: ${reason}`, localRoot));
    }
  }
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

/**
 * The SELECT over the run's copies of the dataset's data files, or (Delta with deletion vectors or column mapping)
 * its rows read by src/delta through the store.
 */
async function selectFor(connection: DuckDBConnection, dataset: DatasetRef, loading: Loading): Promise<string | Required<Pick<DeltaSnapshotFiles, 'schema' | 'rowsByFile'>>> {
  const location = parseGsLocation(dataset.location);
  if (dataset.format === 'delta') {
    const snapshot = await loading.delta.readSnapshot(location);
    if (snapshot.rowsByFile) return { schema: snapshot.schema, rowsByFile: snapshot.rowsByFile };
    const files = [];
    for (const file of snapshot.files) {
      files.push({ path: await loading.copies.copy(location.bucket, file.key, '.parquet', dataset.location), partitionValues: file.partitionValues });
    }
    return deltaSelect({ ...snapshot, files });
  }
  const files = async (suffixes: string[]): Promise<string[]> => {
    const copies: string[] = [];
    for (const key of await listDataFileKeys(loading.store, location, suffixes, dataset.location, loading.maxFiles)) {
      copies.push(await loading.copies.copy(location.bucket, key, copySuffix(key, suffixes), dataset.location));
    }
    return copies;
  };
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
