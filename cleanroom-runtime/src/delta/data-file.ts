/**
 * Delta rows → Parquet data files: the physical schema the writer uses for each Delta type (Spark's choices) and
 * validation of incoming values. Reading data files back is read-rows.ts.
 */
import type { SchemaElement } from './parquet-lib';
import { writeParquet } from './parquet-write';
import type { DeltaRow, DeltaType, DeltaValue, StructField, StructType } from './schema-types';
import { decimalToUnscaled, parseDate, parseDecimalType, signedBigIntToBytes } from './values';

const INT_RANGES: Record<string, [number, number]> = {
  integer: [-2147483648, 2147483647],
  short: [-32768, 32767],
  byte: [-128, 127],
};
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Parquet schema element for one (primitive) Delta column, as Spark writes it. */
export function parquetElement(field: StructField): SchemaElement {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  const name = field.name;
  switch (field.type) {
    case 'string':
      return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'long':
      return { name, repetition_type, type: 'INT64' };
    case 'integer':
      return { name, repetition_type, type: 'INT32' };
    case 'short':
      // No INTEGER logical type: hyparquet-writer serialises IntType.bitWidth as i32 instead of thrift i8,
      // which strict readers (DuckDB: "TProtocolException: Invalid data") reject. INT_16 alone is equivalent.
      return { name, repetition_type, type: 'INT32', converted_type: 'INT_16' };
    case 'byte':
      return { name, repetition_type, type: 'INT32', converted_type: 'INT_8' };
    case 'float':
      return { name, repetition_type, type: 'FLOAT' };
    case 'double':
      return { name, repetition_type, type: 'DOUBLE' };
    case 'boolean':
      return { name, repetition_type, type: 'BOOLEAN' };
    case 'binary':
      return { name, repetition_type, type: 'BYTE_ARRAY' };
    case 'date':
      return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'timestamp':
      return {
        name,
        repetition_type,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    default: {
      const decimal = typeof field.type === 'string' ? parseDecimalType(field.type) : undefined;
      if (!decimal) throw new Error(`column ${name}: type ${typeof field.type === 'string' ? field.type : field.type.type} cannot be written`);
      const { precision, scale } = decimal;
      const logical_type = { type: 'DECIMAL' as const, precision, scale };
      if (precision <= 9) return { name, repetition_type, type: 'INT32', converted_type: 'DECIMAL', precision, scale, logical_type };
      if (precision <= 18) return { name, repetition_type, type: 'INT64', converted_type: 'DECIMAL', precision, scale, logical_type };
      return { name, repetition_type, type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(precision), converted_type: 'DECIMAL', precision, scale, logical_type };
    }
  }
}

/** Smallest two's complement byte width that holds every `precision`-digit number. */
function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision);
  let bytes = 1;
  while (1n << BigInt(bytes * 8 - 1) < max) bytes++;
  return bytes;
}

/** Checks a caller-supplied value against its column; returns an error message or undefined. */
export function validateValue(value: DeltaValue | undefined, field: StructField): string | undefined {
  if (value === null || value === undefined) return field.nullable ? undefined : `column ${field.name} is not nullable`;
  const t = field.type;
  const wrong = (expected: string): string => `column ${field.name} (${String(t)}) expects ${expected}, got ${describe(value)}`;
  switch (t) {
    case 'string':
      return typeof value === 'string' ? undefined : wrong('a string');
    case 'integer':
    case 'short':
    case 'byte': {
      const [min, max] = INT_RANGES[t];
      return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? undefined : wrong(`an integer in [${min}, ${max}]`);
    }
    case 'long':
      return typeof value === 'bigint' && value >= LONG_MIN && value <= LONG_MAX ? undefined : wrong('a bigint in the int64 range');
    case 'float':
    case 'double':
      return typeof value === 'number' ? undefined : wrong('a number');
    case 'boolean':
      return typeof value === 'boolean' ? undefined : wrong('a boolean');
    case 'binary':
      return value instanceof Uint8Array ? undefined : wrong('a Uint8Array');
    case 'date':
      if (typeof value !== 'string') return wrong("a 'YYYY-MM-DD' string");
      try {
        parseDate(value);
        return undefined;
      } catch (err) {
        return `column ${field.name}: ${(err as Error).message}`;
      }
    case 'timestamp':
      return typeof value === 'bigint' && value >= LONG_MIN && value <= LONG_MAX ? undefined : wrong('a bigint of microseconds since the epoch');
    default: {
      const decimal = typeof t === 'string' ? parseDecimalType(t) : undefined;
      if (!decimal) return `column ${field.name}: type ${String(typeof t === 'string' ? t : t.type)} cannot be written`;
      if (typeof value !== 'string') return wrong('an exact decimal string');
      try {
        decimalToUnscaled(value, decimal);
        return undefined;
      } catch (err) {
        return `column ${field.name}: ${(err as Error).message}`;
      }
    }
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'bigint') return `${value}n`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Physical value for the Parquet writer (value already validated). */
function toPhysical(value: DeltaValue, type: DeltaType, element: SchemaElement): unknown {
  if (value === null) return null;
  if (type === 'date') return parseDate(value as string);
  const decimal = typeof type === 'string' ? parseDecimalType(type) : undefined;
  if (decimal) {
    const unscaled = decimalToUnscaled(value as string, decimal);
    if (element.type === 'INT32') return Number(unscaled);
    if (element.type === 'INT64') return unscaled;
    return signedBigIntToBytes(unscaled, element.type_length!);
  }
  return value;
}

/** Encodes rows (data columns only; partition columns live in the path) as one Parquet file. */
/**
 * Dates and timestamps are written in the proleptic Gregorian calendar. Spark 3 reads a Parquet file as written
 * (CORRECTED) when its footer names a Spark version of at least 3.0.0 (dates, INT64 timestamps) or 3.1.0 (INT96)
 * and carries no `org.apache.spark.legacyDateTime` / `org.apache.spark.legacyINT96` key; without a version it
 * applies spark.sql.parquet.datetimeRebaseModeInRead, which refuses dates before 1582-10-15 and timestamps before
 * 1900 (EXCEPTION) or shifts them (LEGACY). See Spark's DataSourceUtils.getRebaseSpec.
 */
export const SPARK_CALENDAR_METADATA: Readonly<Record<string, string>> = { 'org.apache.spark.version': '3.5.0' };

export function encodeDataFile(schema: StructType, dataColumns: string[], rows: DeltaRow[], createdBy: string): Uint8Array {
  const fields = dataColumns.map((name) => schema.fields.find((f) => f.name === name)!);
  const elements = fields.map(parquetElement);
  const parquetSchema: SchemaElement[] = [{ name: 'spark_schema', num_children: elements.length }, ...elements];
  const physicalRows = rows.map((row) => {
    const out: Record<string, unknown> = {};
    fields.forEach((field, i) => {
      out[field.name] = toPhysical(row[field.name] ?? null, field.type, elements[i]);
    });
    return out;
  });
  return writeParquet(parquetSchema, physicalRows, { createdBy, keyValueMetadata: { 'org.apache.spark.sql.parquet.row.metadata': sparkRowMetadata(fields), ...SPARK_CALENDAR_METADATA } });
}

/** Spark stores its schema in the footer; readers use it to restore exact types (e.g. byte vs int). */
function sparkRowMetadata(fields: StructField[]): string {
  return JSON.stringify({ type: 'struct', fields: fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, metadata: f.metadata ?? {} })) });
}
