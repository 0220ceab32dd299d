/**
 * Partition values: `add.partitionValues` holds strings (or null) that are typed by the table schema
 * (Delta protocol "Partition Value Serialization"), and Hive-style directory names for written files.
 */
import type { DeltaType, DeltaValue } from './schema-types';
import { decimalToUnscaled, formatPartitionTimestamp, parseDate, parseDecimalType, parseTimestamp, parseTimestampNtz, unscaledToDecimal } from './values';

/** Typed value of one serialised partition value; null and '' are a null partition. */
export function parsePartitionValue(raw: string | null | undefined, type: DeltaType, column: string): DeltaValue {
  if (raw === null || raw === undefined || raw === '') return null;
  try {
    switch (type) {
      case 'string':
        return raw;
      case 'integer':
      case 'short':
      case 'byte': {
        if (!/^[+-]?\d+$/.test(raw)) throw new Error('not an integer');
        return Number(raw);
      }
      case 'long':
        if (!/^[+-]?\d+$/.test(raw)) throw new Error('not an integer');
        return BigInt(raw);
      case 'float':
      case 'double': {
        const n = Number(raw);
        if (Number.isNaN(n) && raw !== 'NaN') throw new Error('not a number');
        return n;
      }
      case 'boolean':
        if (raw !== 'true' && raw !== 'false') throw new Error('not true/false');
        return raw === 'true';
      case 'date':
        parseDate(raw);
        return raw;
      case 'timestamp':
        return parseTimestamp(raw);
      case 'timestamp_ntz':
        return parseTimestampNtz(raw);
      case 'binary':
        return new TextEncoder().encode(raw);
      default: {
        const decimal = typeof type === 'string' ? parseDecimalType(type) : undefined;
        if (decimal) return unscaledToDecimal(decimalToUnscaled(raw, decimal), decimal.scale);
        throw new Error(`partition columns of type ${typeof type === 'string' ? type : type.type} are not supported`);
      }
    }
  } catch (err) {
    throw new Error(`partition value ${JSON.stringify(raw)} of column ${column} is not a valid ${typeof type === 'string' ? type : type.type}: ${(err as Error).message}`);
  }
}

/**
 * Serialised form of a typed value for `add.partitionValues` (null stays null). An empty string is written as null:
 * Spark and delta-kernel read an empty partition value as null, so writing '' would read back as another value.
 * Decimals carry the column's scale (`1.500` for decimal(10,3)), as delta-kernel requires.
 */
export function formatPartitionValue(value: DeltaValue, type: DeltaType): string | null {
  if (value === null || value === '') return null;
  if (type === 'timestamp' && typeof value === 'bigint') return formatPartitionTimestamp(value);
  const decimal = typeof type === 'string' ? parseDecimalType(type) : undefined;
  if (decimal && (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')) {
    return unscaledToDecimal(decimalToUnscaled(String(value), decimal), decimal.scale);
  }
  if (type === 'binary' && value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value instanceof Uint8Array) throw new Error('binary values are only valid for binary columns');
  return String(value);
}

/** Characters Hive escapes in partition directory names (plus controls), as %XX. */
const HIVE_ESCAPE = /["#%'*/:=?\\\x7f{}[\]^\x00-\x1f]/g;

/** `column=value` directory segment, `__HIVE_DEFAULT_PARTITION__` for null. */
export function partitionDirectory(column: string, value: string | null): string {
  const escape = (s: string): string => s.replace(HIVE_ESCAPE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${escape(column)}=${value === null ? '__HIVE_DEFAULT_PARTITION__' : escape(value)}`;
}
