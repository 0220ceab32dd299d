/**
 * Runs Spark SQL in a sandbox through the Spark SQL front: each statement is translated (or refused, or failed as
 * Databricks would fail it), its `:name` markers bound as values of a prepared statement, and its result read
 * with Spark's column names and types.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SparkSqlSession, sparkTypeOfDuck, typeName, type CatalogColumn, type SparkType } from './spark-sql';
import { sparkValue, type SparkValue } from './spark-values';

export type StatementOutcome =
  | { k: 'result'; columns: { name: string; type: SparkType }[]; rows: SparkValue[][] }
  | { k: 'refused'; message: string }
  | { k: 'error'; message: string };

export interface RunOptions {
  /** Values of `:name` parameter markers, bound as strings. */
  parameters?: Readonly<Record<string, string>>;
}

/** Registers every table already in the sandbox (the loaded datasets) with the session, by `schema.table`. */
export async function registerSandboxTables(connection: DuckDBConnection, session: SparkSqlSession): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() WHERE NOT internal AND database_name = current_database() AND schema_name NOT IN ('main', 'temp') ORDER BY schema_name, table_name, column_index",
  );
  const tables = new Map<string, { schema: string; table: string; columns: CatalogColumn[]; unsupported?: string }>();
  for (const [schema, table, column, dataType] of reader.getRows() as string[][]) {
    const key = `${schema}.${table}`;
    const entry = tables.get(key) ?? { schema, table, columns: [] };
    tables.set(key, entry);
    const type = sparkTypeOfDuck(dataType);
    if (!type) entry.unsupported = `${column} ${dataType}`;
    else entry.columns.push({ name: column, type });
  }
  const skipped: string[] = [];
  for (const entry of tables.values()) {
    if (entry.unsupported) {
      skipped.push(`${entry.schema}.${entry.table} (column ${entry.unsupported})`);
      continue;
    }
    session.catalog.define([entry.schema, entry.table], {
      sql: `"${entry.schema.replace(/"/g, '""')}"."${entry.table.replace(/"/g, '""')}"`,
      columns: entry.columns,
      kind: 'dataset',
    });
  }
  return skipped;
}

/** Translates and runs one statement. DuckDB errors become errors (they are where Spark raises too). */
export async function runSparkStatement(connection: DuckDBConnection, session: SparkSqlSession, text: string, options: RunOptions = {}): Promise<StatementOutcome> {
  const translation = session.translate(text);
  if (translation.k !== 'run') return translation.k === 'refused' ? { k: 'refused', message: translation.message } : { k: 'error', message: translation.message };
  const statement = translation.statement;
  const values = options.parameters ?? {};
  const missing = statement.parameters.filter((name) => values[name] === undefined);
  if (missing.length > 0) return { k: 'error', message: `[UNBOUND_SQL_PARAMETER] no value for the parameter marker${missing.length > 1 ? 's' : ''} ${missing.map((m) => `:${m}`).join(', ')}` };
  try {
    const prepared = await connection.prepare(statement.sql);
    for (const name of statement.parameters) prepared.bindVarchar(prepared.parameterIndex(name), values[name]);
    const reader = await prepared.runAndReadAll();
    session.ran(statement);
    if (statement.kind !== 'query') return { k: 'result', columns: [], rows: [] };
    const rows = reader.getRows().map((row) => row.map((value, i) => sparkValue(value, statement.columns[i].type)));
    return { k: 'result', columns: statement.columns.map((c) => ({ name: c.name, type: c.type })), rows };
  } catch (error) {
    return { k: 'error', message: duckErrorMessage(error) };
  }
}

/** DuckDB's first line, with Spark's error class where the compiled guard or DuckDB's own check says which. */
export function duckErrorMessage(error: unknown): string {
  const full = (error instanceof Error ? error.message : String(error)).replace(/^(Error: )+/, '');
  const first = full.split('\n')[0];
  const raised = /\[([A-Z_.]+)\] .*/.exec(first);
  if (raised) return raised[0];
  if (/Overflow|out of range/i.test(first)) return `[ARITHMETIC_OVERFLOW] ${first}`;
  if (/Conversion Error|Could not convert/i.test(first)) return `[CAST_INVALID_INPUT] ${first}`;
  if (/More than one row returned by a subquery/i.test(first)) return `[SCALAR_SUBQUERY_TOO_MANY_ROWS] ${first}`;
  if (/must appear in the GROUP BY clause|must be part of an aggregate/i.test(first)) return `[MISSING_AGGREGATION] ${first}`;
  return first;
}

export { typeName };
