/** SQL texts for making registered datasets visible as `<participant>.<table>` external tables. Pure. */
import type { DatasetRef } from '../engine';
import { assertDataset, assertParticipant, assertTableName, formatKeyword, quoteIdentifier, sqlStringLiteral } from './identifiers';

export function tableName(participant: string, table: string): string {
  assertParticipant(participant);
  assertTableName(table);
  return `${quoteIdentifier(participant)}.${quoteIdentifier(table)}`;
}

export function createSchemaSql(participant: string): string {
  assertParticipant(participant);
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(participant)}`;
}

export function showTablesSql(participant: string): string {
  assertParticipant(participant);
  return `SHOW TABLES IN ${quoteIdentifier(participant)}`;
}

export function describeTableSql(participant: string, table: string): string {
  return `DESCRIBE TABLE EXTENDED ${tableName(participant, table)}`;
}

export function dropTableSql(participant: string, table: string): string {
  return `DROP TABLE IF EXISTS ${tableName(participant, table)}`;
}

/** `mode` "if-not-exists" for new tables, "or-replace" to repoint an existing Delta table atomically. */
export function createTableSql(dataset: DatasetRef, mode: 'if-not-exists' | 'plain' | 'or-replace'): string {
  assertDataset(dataset);
  const head = mode === 'or-replace' ? 'CREATE OR REPLACE TABLE'
    : mode === 'if-not-exists' ? 'CREATE TABLE IF NOT EXISTS' : 'CREATE TABLE';
  // CSV files registered in a clean room carry a header row (as the seed's notebooks write them).
  const options = dataset.format === 'csv' ? " OPTIONS (header 'true')" : '';
  return `${head} ${tableName(dataset.participant, dataset.table)} USING ${formatKeyword(dataset.format)}` +
    `${options} LOCATION ${sqlStringLiteral(dataset.location)}`;
}

/** Locations compare without trailing slashes (the metastore may normalise them). */
export function sameLocation(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** What DESCRIBE TABLE EXTENDED says about an existing table's storage; undefined fields were not reported. */
export interface TableStorage {
  location?: string;
  provider?: string;
}

/** Reads "Location" and "Provider" out of DESCRIBE TABLE EXTENDED rows (col_name, data_type, comment). */
export function parseDescribeExtended(rows: ReadonlyArray<ReadonlyArray<string | null>>): TableStorage {
  const storage: TableStorage = {};
  for (const row of rows) {
    const key = (row[0] ?? '').trim();
    const value = (row[1] ?? '').trim();
    if (key === 'Location') storage.location = value;
    if (key === 'Provider') storage.provider = value.toLowerCase();
  }
  return storage;
}

export function storageMatches(dataset: DatasetRef, storage: TableStorage): boolean {
  return storage.location !== undefined && storage.provider !== undefined &&
    sameLocation(storage.location, dataset.location) && storage.provider === dataset.format;
}
