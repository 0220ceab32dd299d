/**
 * Result values of the Spark SQL front, read from DuckDB into a form that keeps Spark's types exact: 64-bit
 * integers as bigint, decimals as their digits, dates as days and timestamps as microseconds since the epoch.
 * The CLI prints them as JSON; tests print them as Spark does.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { civilFromDays } from '../../delta/values';
import type { SparkType } from './spark-sql';

export type SparkValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | { decimal: string }
  | { date: number }
  | { timestamp: bigint; ntz: boolean }
  | { binary: Uint8Array }
  | { array: SparkValue[] }
  | { struct: [string, SparkValue][] }
  | { map: [SparkValue, SparkValue][] };

/** One DuckDB value as the Spark type the front gave its column. */
export function sparkValue(value: DuckDBValue, type: SparkType): SparkValue {
  if (value === null || value === undefined) return null;
  const v = value as unknown as Record<string, unknown>;
  switch (type.kind) {
    case 'void':
      return null;
    case 'boolean':
      return Boolean(value);
    case 'tinyint':
    case 'smallint':
    case 'int':
      return Number(value);
    case 'bigint':
      return BigInt(value as bigint);
    case 'float':
    case 'double':
      return Number(value);
    case 'string':
      return String(value);
    case 'decimal':
      return { decimal: decimalText(v.value as bigint, type.scale) };
    case 'date':
      return { date: Number(v.days) };
    case 'timestamp':
    case 'timestamp_ntz':
      return { timestamp: BigInt(v.micros as bigint), ntz: type.kind === 'timestamp_ntz' };
    case 'binary':
      return { binary: v.bytes as Uint8Array };
    case 'array':
      return { array: (v.items as DuckDBValue[]).map((item) => sparkValue(item, type.element)) };
    case 'struct': {
      const entries = v.entries as Record<string, DuckDBValue>;
      const values = Object.values(entries);
      return { struct: type.fields.map((f, i) => [f.name, sparkValue(values[i], f.type)]) };
    }
    case 'map':
      return { map: (v.entries as { key: DuckDBValue; value: DuckDBValue }[]).map((e) => [sparkValue(e.key, type.key), sparkValue(e.value, type.value)]) };
  }
}

function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

const MAX_SAFE = 2n ** 53n;

/** The JSON form `cleanroom sql --json` prints: exact numbers as numbers, larger ones as strings, ISO dates. */
export function jsonValue(value: SparkValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'bigint') return value > MAX_SAFE || value < -MAX_SAFE ? value.toString() : Number(value);
  if ('decimal' in value) {
    const unscaled = BigInt(value.decimal.replace('.', ''));
    const n = Number(value.decimal);
    return unscaled > MAX_SAFE || unscaled < -MAX_SAFE ? value.decimal : n;
  }
  if ('date' in value) return isoDay(value.date);
  if ('timestamp' in value) return isoTimestamp(value.timestamp, value.ntz);
  if ('binary' in value) return Buffer.from(value.binary).toString('base64');
  if ('array' in value) return value.array.map(jsonValue);
  if ('struct' in value) return Object.fromEntries(value.struct.map(([k, v]) => [k, jsonValue(v)]));
  return Object.fromEntries(value.map.map(([k, v]) => [typeof k === 'object' && k !== null ? JSON.stringify(jsonValue(k)) : String(jsonValue(k)), jsonValue(v)]));
}

/** `yyyy-mm-dd` of a day number in the proleptic Gregorian calendar (any year DuckDB holds). */
export function isoDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const y = year < 0 ? `-${String(-year).padStart(4, '0')}` : year > 9999 ? `+${year}` : String(year).padStart(4, '0');
  return `${y}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** `2017-08-01T00:00:00Z` (fractions only when present); a timestamp without time zone has no `Z`. */
export function isoTimestamp(micros: bigint, ntz: boolean): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - millis * 1000n;
  const base = new Date(Number(millis)).toISOString();
  const [date, time] = base.split('T');
  const [hms, ms] = time.replace('Z', '').split('.');
  const fraction = `${ms}${rest.toString().padStart(3, '0')}`.replace(/0+$/, '');
  return `${date}T${hms}${fraction ? `.${fraction}` : ''}${ntz ? '' : 'Z'}`;
}
