/**
 * Loads a Delta dataset whose data files alone do not give its rows (deletion vectors leave rows out, column
 * mapping renames columns, nested fields included): the rows are read by src/delta, file by file, and appended
 * to a table created with the dataset's schema. Memory holds one data file's rows at a time (the bridge bounds
 * their size).
 */
import {
  blobValue,
  dateValue,
  decimalValue,
  listValue,
  mapValue,
  structValue,
  timestampTZValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { DeltaRow, DeltaType, DeltaValue, StructType } from '../../delta/schema-types';
import { decimalToUnscaled, parseDate, parseDecimalType } from '../../delta/values';
import { duckdbTypeFor } from './delta-to-duckdb-type';
import { quoteIdentifier } from './sql-text';

/** Creates `"schema"."table"` with the Delta schema's columns and appends every batch of rows. */
export async function loadDeltaRows(connection: DuckDBConnection, schemaName: string, tableName: string, schema: StructType, batches: AsyncIterable<DeltaRow[]>): Promise<void> {
  const columns = schema.fields.map((f) => `${quoteIdentifier(f.name)} ${duckdbTypeFor(f.type)}`);
  await connection.run(`CREATE TABLE ${quoteIdentifier(schemaName)}.${quoteIdentifier(tableName)} (${columns.join(', ')})`);
  const appender = await connection.createAppender(tableName, schemaName);
  try {
    for await (const rows of batches) {
      for (const row of rows) {
        schema.fields.forEach((field, i) => appender.appendValue(toDuckDbValue(row[field.name] ?? null, field.type), appender.columnType(i)));
        appender.endRow();
      }
      appender.flushSync();
    }
  } finally {
    appender.closeSync();
  }
}

/** A Delta value (schema-types.ts conventions) as the DuckDB value of duckdbTypeFor(type), exactly. */
export function toDuckDbValue(value: DeltaValue, type: DeltaType): DuckDBValue {
  if (value === null) return null;
  if (typeof type === 'string') {
    switch (type) {
      case 'date':
        return dateValue(parseDate(value as string));
      case 'timestamp':
        return timestampTZValue(value as bigint);
      case 'timestamp_ntz':
        return timestampValue(value as bigint);
      case 'binary':
        return blobValue(value as Uint8Array);
      default: {
        const decimal = parseDecimalType(type);
        if (decimal) return decimalValue(decimalToUnscaled(value as string, decimal), decimal.precision, decimal.scale);
        return value as string | number | bigint | boolean;
      }
    }
  }
  switch (type.type) {
    case 'struct': {
      const struct = value as Record<string, DeltaValue>;
      return structValue(Object.fromEntries(type.fields.map((f) => [f.name, toDuckDbValue(struct[f.name] ?? null, f.type)])));
    }
    case 'array':
      return listValue((value as DeltaValue[]).map((item) => toDuckDbValue(item, type.elementType)));
    case 'map':
      return mapValue((value as Array<{ key: DeltaValue; value: DeltaValue }>).map((e) => ({ key: toDuckDbValue(e.key, type.keyType), value: toDuckDbValue(e.value, type.valueType) })));
  }
}
