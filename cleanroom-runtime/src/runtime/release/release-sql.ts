/**
 * The release gate's checks as DuckDB SQL (local mode). Identifier values and output values are compared after the
 * same normalisation: cast to text, lower case, every whitespace character removed (also Unicode spaces and
 * zero-width characters); an output text is also split into words at whitespace and the punctuation that separates
 * values in lists and JSON, and each word is compared the same way. Names come from the loaded tables and are
 * quoted; the only literals are validated names and whole numbers from the reviewed configuration.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteLiteral } from '../../engines/local/sql-text';
import { STAGED, type ColumnInfo, type IdentifierSource, type ReleaseQueries } from './release-decision';

/** Longer than any participant name (at most 31 characters), so it can never be a participant's schema. */
export const STAGED_SCHEMA = 'cleanroom_release_gate_staged_result';
export const STAGED_TABLE = 'result';

/** Whitespace as the gate ignores it: ASCII and Unicode spaces, zero-width spaces and joiners, the BOM. */
export const WHITESPACE_CLASS = '\\s\\p{Z}\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}';
/** Word separators inside a longer text: whitespace, quotes and the punctuation of lists, JSON, CSV and key=value. */
export const SEPARATOR_CLASS = `${WHITESPACE_CLASS}"'\`,;:|\\[\\]{}()<>=`;

const WHITESPACE = quoteLiteral(`[${WHITESPACE_CLASS}]+`);
const SEPARATORS = quoteLiteral(`[${SEPARATOR_CLASS}]+`);

export function normalised(expression: string): string {
  return `lower(regexp_replace(CAST(${expression} AS VARCHAR), ${WHITESPACE}, '', 'g'))`;
}

function words(expression: string): string {
  return `unnest(regexp_split_to_array(lower(CAST(${expression} AS VARCHAR)), ${SEPARATORS}))`;
}

function tableName(table: string): string {
  if (table === STAGED) return `${quoteIdentifier(STAGED_SCHEMA)}.${quoteIdentifier(STAGED_TABLE)}`;
  const [schema = '', name = ''] = table.split('.');
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

function suppressedCondition(column: string, minGroupSize: number): string {
  const c = quoteIdentifier(column);
  return `(${c} IS NULL OR NOT isfinite(CAST(${c} AS DOUBLE)) OR ${c} < ${Math.trunc(minGroupSize)})`;
}

export function duckdbReleaseQueries(connection: DuckDBConnection): ReleaseQueries {
  const scalar = async (sql: string): Promise<number> => Number((await connection.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
  return {
    async columns(table: string): Promise<ColumnInfo[] | null> {
      const [schema, name] = table === STAGED ? [STAGED_SCHEMA, STAGED_TABLE] : table.split('.');
      const reader = await connection.runAndReadAll(
        'SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2 ORDER BY column_index',
        [schema ?? '', name ?? ''],
      );
      const rows = reader.getRows();
      return rows.length === 0 ? null : rows.map(([column, type]) => ({ name: String(column), type: String(type) }));
    },
    stagedRows: () => scalar(`SELECT count(*) FROM ${tableName(STAGED)}`),
    async identifierHit(identifiers: readonly IdentifierSource[], outputColumns: readonly string[]) {
      const values = identifiers
        .map((id, index) => `SELECT DISTINCT ${normalised(quoteIdentifier(id.column))} AS v, ${index} AS source FROM ${tableName(id.dataset)} WHERE ${quoteIdentifier(id.column)} IS NOT NULL`)
        .join(' UNION ALL ');
      await connection.run(`CREATE OR REPLACE TEMP TABLE release_identifier_values AS SELECT v, min(source) AS source FROM (${values}) WHERE v <> '' GROUP BY v`);
      // A column name can carry a value too (a pivot on an identifier): names are compared like values.
      const names = outputColumns.map((name) => `(${quoteLiteral(name)})`).join(', ');
      const named = (await connection.runAndReadAll(
        `SELECT min(i.source) FROM release_identifier_values i WHERE i.v IN (SELECT ${normalised('n')} FROM (VALUES ${names}) AS t(n))`,
      )).getRows()[0]?.[0];
      if (named !== null && named !== undefined) return { outputColumn: null, identifier: identifiers[Number(named)]! };
      for (const column of outputColumns) {
        const c = quoteIdentifier(column);
        const staged = tableName(STAGED);
        const sql =
          `SELECT min(i.source) FROM release_identifier_values i WHERE i.v IN (` +
          `SELECT ${normalised(c)} FROM ${staged} WHERE ${c} IS NOT NULL UNION ` +
          `SELECT regexp_replace(w, ${WHITESPACE}, '', 'g') FROM (SELECT ${words(c)} AS w FROM ${staged} WHERE ${c} IS NOT NULL))`;
        const rows = (await connection.runAndReadAll(sql)).getRows();
        const source = rows[0]?.[0];
        if (source !== null && source !== undefined) return { outputColumn: column, identifier: identifiers[Number(source)]! };
      }
      return null;
    },
    suppressedRows: (column: string, minGroupSize: number) => scalar(`SELECT count(*) FROM ${tableName(STAGED)} WHERE ${suppressedCondition(column, minGroupSize)}`),
    releaseQuery(suppress) {
      const where = suppress === null ? '' : ` WHERE NOT ${suppressedCondition(suppress.column, suppress.minGroupSize)}`;
      return `SELECT * FROM ${tableName(STAGED)}${where}`;
    },
  };
}

