/**
 * A DuckDB query result as a Delta schema + rows (the DeltaRow conventions of src/delta/schema-types.ts).
 * Unsigned/128-bit integers become `long` (a value out of range fails the run: cast it in the query);
 * TIMESTAMP and TIMESTAMPTZ become `timestamp` (UTC); times, intervals, bits and nested values become strings
 * (nested ones as JSON), since Delta rows here are flat.
 */
import { DuckDBTypeId, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import type { DeltaRow, DeltaValue, PrimitiveType, StructType } from '../../delta/schema-types';
import { RunFailure } from './run-failure';

/** Characters Spark/Delta refuse in column names without column mapping. */
const INVALID_NAME = /[ ,;{}()\n\t=]/;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

interface ColumnMapping {
  type: PrimitiveType;
  convert(value: Exclude<DuckDBValue, null>, column: string): DeltaValue;
}

const asNumber = (value: unknown): number => Number(value);
const asString = (value: unknown): string => String(value);

function asLong(value: unknown, column: string): bigint {
  const big = typeof value === 'bigint' ? value : BigInt(value as number);
  if (big < LONG_MIN || big > LONG_MAX) {
    throw new RunFailure(`result column ${column} has the value ${big}, beyond the range of a long; cast it in the query (e.g. to DECIMAL(38,0) or VARCHAR)`);
  }
  return big;
}

function micros(value: unknown, perMicro: bigint, microsPer: bigint, column: string): bigint {
  const timestamp = value as { isFinite: boolean; micros?: bigint; seconds?: bigint; millis?: bigint; nanos?: bigint };
  if (!timestamp.isFinite) throw new RunFailure(`result column ${column} has an infinite timestamp, which Delta cannot store`);
  const raw = timestamp.micros ?? timestamp.seconds ?? timestamp.millis ?? timestamp.nanos ?? 0n;
  return (raw * microsPer) / perMicro;
}

function mappingFor(typeId: DuckDBTypeId, reader: DuckDBResultReader, index: number): ColumnMapping | 'json' {
  switch (typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { type: 'boolean', convert: (v) => v === true };
    case DuckDBTypeId.TINYINT:
      return { type: 'byte', convert: asNumber };
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { type: 'short', convert: asNumber };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return { type: 'integer', convert: asNumber };
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return { type: 'long', convert: asLong };
    case DuckDBTypeId.FLOAT:
      return { type: 'float', convert: asNumber };
    case DuckDBTypeId.DOUBLE:
      return { type: 'double', convert: asNumber };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = reader.columnType(index) as unknown as { width: number; scale: number };
      return { type: `decimal(${width},${scale})`, convert: asString };
    }
    case DuckDBTypeId.BLOB:
      return { type: 'binary', convert: (v) => (v as { bytes: Uint8Array }).bytes };
    case DuckDBTypeId.DATE:
      return {
        type: 'date',
        convert: (v, column) => {
          if (!(v as { isFinite: boolean }).isFinite) throw new RunFailure(`result column ${column} has an infinite date, which Delta cannot store`);
          return String(v);
        },
      };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { type: 'timestamp', convert: (v, c) => micros(v, 1n, 1n, c) };
    case DuckDBTypeId.TIMESTAMP_S:
      return { type: 'timestamp', convert: (v, c) => micros(v, 1n, 1_000_000n, c) };
    case DuckDBTypeId.TIMESTAMP_MS:
      return { type: 'timestamp', convert: (v, c) => micros(v, 1n, 1_000n, c) };
    case DuckDBTypeId.TIMESTAMP_NS:
      return { type: 'timestamp', convert: (v, c) => micros(v, 1_000n, 1n, c) };
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_TZ:
    case DuckDBTypeId.TIME_NS:
    case DuckDBTypeId.INTERVAL:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.SQLNULL:
      return { type: 'string', convert: asString };
    default:
      return 'json';
  }
}

export function checkColumnNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '' || INVALID_NAME.test(name)) {
      throw new RunFailure(
        `result column ${JSON.stringify(name)} has a character Delta tables do not allow (space , ; { } ( ) = tab newline); give it an alias: ... AS some_name`,
      );
    }
    const folded = name.toLowerCase();
    if (seen.has(folded)) throw new RunFailure(`the result has two columns named ${JSON.stringify(name)}; give them distinct aliases`);
    seen.add(folded);
  }
}

/** Reads the whole result (already read with readAll) into Delta form. */
export function resultToDelta(reader: DuckDBResultReader): { schema: StructType; rows: DeltaRow[] } {
  const names = reader.columnNames();
  checkColumnNames(names);
  const mappings = names.map((_, i) => mappingFor(reader.columnTypeId(i), reader, i));
  const jsonColumns = mappings.some((m) => m === 'json') ? reader.getColumnsJson() : [];
  const schema: StructType = {
    type: 'struct',
    fields: names.map((name, i) => {
      const mapping = mappings[i];
      return { name, type: mapping === 'json' ? 'string' : mapping.type, nullable: true, metadata: {} };
    }),
  };
  const rows: DeltaRow[] = [];
  const columns = reader.getColumns();
  for (let r = 0; r < reader.currentRowCount; r++) {
    const row: DeltaRow = {};
    names.forEach((name, c) => {
      const value = columns[c][r];
      const mapping = mappings[c];
      if (value === null) row[name] = null;
      else if (mapping === 'json') row[name] = JSON.stringify(jsonColumns[c][r]);
      else row[name] = mapping.convert(value, name);
    });
    rows.push(row);
  }
  return { schema, rows };
}
