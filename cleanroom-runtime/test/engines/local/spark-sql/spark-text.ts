/**
 * Values printed as Spark's SQLQueryTestSuite prints them in golden files (HiveResult.toHiveString): NULL,
 * true/false, doubles as Java's Double.toString, decimals with their scale, dates and timestamps in the session
 * time zone, binaries as their UTF-8 text, and nested values with quoted strings and lower-case null.
 */
import type { SparkType } from '../../../../src/engines/local/spark-sql';
import { isoDay, type SparkValue } from '../../../../src/engines/local/spark-values';

export function sparkText(value: SparkValue, type: SparkType, timeZone: string, nested = false, legacyDecimals = false): string {
  if (value === null) return nested ? 'null' : 'NULL';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (type.kind === 'double') return javaDouble(value);
    if (type.kind === 'float') return javaFloat(value);
    return String(value);
  }
  if (typeof value === 'string') return nested ? JSON.stringify(value) : value;
  if ('decimal' in value) return legacyDecimals && value.decimal.includes('.') ? value.decimal.replace(/\.?0+$/, '') : value.decimal;
  if ('date' in value) return isoDay(value.date);
  if ('timestamp' in value) return sparkTimestamp(value.timestamp, value.ntz ? 'UTC' : timeZone);
  if ('binary' in value) return new TextDecoder('utf-8').decode(value.binary);
  if ('array' in value) {
    const element = type.kind === 'array' ? type.element : type;
    return `[${value.array.map((v) => sparkText(v, element, timeZone, true)).join(',')}]`;
  }
  if ('struct' in value) {
    const fields = type.kind === 'struct' ? type.fields : [];
    return `{${value.struct.map(([k, v], i) => `"${k}":${sparkText(v, fields[i]?.type ?? type, timeZone, true)}`).join(',')}}`;
  }
  const [kt, vt] = type.kind === 'map' ? [type.key, type.value] : [type, type];
  return `{${value.map.map(([k, v]) => `${sparkText(k, kt, timeZone, true)}:${sparkText(v, vt, timeZone, true)}`).join(',')}}`;
}

/** Java's Double.toString: plain between 1e-3 and 1e7, else d.dddE±n; always a fractional part. */
export function javaDouble(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = value.toExponential().split('e');
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${m}E${Number(exponent)}`;
}

/** Java's Float.toString: the shortest digits that read back as the same float. */
export function javaFloat(value: number): string {
  if (!Number.isFinite(value) || value === 0) return javaDouble(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return javaDouble(candidate);
  }
  return javaDouble(value);
}

function sparkTimestamp(micros: bigint, timeZone: string): string {
  const millis = Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n));
  const fractionMicros = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    era: 'short',
  }).formatToParts(new Date(millis));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  let year = Number(get('year'));
  if (get('era') === 'BC') year = 1 - year;
  const fraction = fractionMicros ? `.${String(fractionMicros).padStart(6, '0').replace(/0+$/, '')}` : '';
  return `${String(year).padStart(4, '0')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}${fraction}`;
}

