/**
 * Interval literals as Spark reads them, for the places the front reproduces them (window frame offsets):
 * year-month intervals (months) and day-time intervals (an exact number of microseconds: a Spark day-time
 * interval is a duration, not calendar days).
 */
import { SparkSqlError } from './errors';

export type IntervalValue = { kind: 'year_month'; months: number } | { kind: 'day_time'; micros: bigint };

const UNIT_MICROS: Record<string, bigint> = {
  week: 7n * 86_400_000_000n,
  day: 86_400_000_000n,
  hour: 3_600_000_000n,
  minute: 60_000_000n,
  second: 1_000_000n,
  millisecond: 1_000n,
  microsecond: 1n,
};

/** The text after INTERVAL, as the parser kept it (`'1-1' year to month`, `23 days 4 hours`). */
export function parseInterval(text: string): IntervalValue | undefined {
  const ranged = /^'([^']*)'\s+(\w+)(?:\s+to\s+(\w+))?$/i.exec(text.trim());
  if (ranged) return rangedInterval(ranged[1].trim(), singular(ranged[2]), ranged[3] ? singular(ranged[3]) : undefined);
  // Unit form: 23 days 4 hours, '2' day.
  const parts = text.trim().split(/\s+/);
  if (parts.length % 2 !== 0) return undefined;
  let months = 0;
  let micros = 0n;
  for (let i = 0; i < parts.length; i += 2) {
    const amount = parts[i].replace(/^'|'$/g, '');
    const unit = singular(parts[i + 1]);
    if (!/^[+-]?\d+$/.test(amount)) return undefined;
    if (unit === 'year' || unit === 'month') months += Number(amount) * (unit === 'year' ? 12 : 1);
    else if (UNIT_MICROS[unit] !== undefined) micros += BigInt(amount) * UNIT_MICROS[unit];
    else return undefined;
  }
  if (months !== 0 && micros !== 0n) return undefined;
  return months !== 0 ? { kind: 'year_month', months } : { kind: 'day_time', micros };
}

function singular(unit: string): string {
  return unit.toLowerCase().replace(/s$/, '');
}

function rangedInterval(value: string, from: string, to: string | undefined): IntervalValue | undefined {
  const sign = value.startsWith('-') ? -1 : 1;
  const body = value.replace(/^[+-]/, '');
  if (from === 'year' || from === 'month') {
    if (to === 'month' && from === 'year') {
      const m = /^(\d+)-(\d+)$/.exec(body);
      if (!m || Number(m[2]) > 11) throw new SparkSqlError('INVALID_INTERVAL_FORMAT', `invalid year-month interval '${value}'`);
      return { kind: 'year_month', months: sign * (Number(m[1]) * 12 + Number(m[2])) };
    }
    if (to !== undefined || !/^\d+$/.test(body)) return undefined;
    return { kind: 'year_month', months: sign * Number(body) * (from === 'year' ? 12 : 1) };
  }
  if (to === undefined) {
    if (!/^\d+$/.test(body) || UNIT_MICROS[from] === undefined) return undefined;
    return { kind: 'day_time', micros: BigInt(sign) * BigInt(body) * UNIT_MICROS[from] };
  }
  if (from === 'day' && to === 'second') {
    const m = /^(\d+) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?$/.exec(body);
    if (!m) throw new SparkSqlError('INVALID_INTERVAL_FORMAT', `invalid day-time interval '${value}'`);
    const fraction = BigInt((m[5] ?? '').padEnd(6, '0').slice(0, 6));
    const micros = BigInt(m[1]) * UNIT_MICROS.day + BigInt(m[2]) * UNIT_MICROS.hour + BigInt(m[3]) * UNIT_MICROS.minute + BigInt(m[4]) * UNIT_MICROS.second + fraction;
    return { kind: 'day_time', micros: BigInt(sign) * micros };
  }
  return undefined;
}

/** DuckDB's interval for the value: months, or microseconds (never calendar days). */
export function intervalSql(value: IntervalValue): string {
  return value.kind === 'year_month' ? `to_months(${value.months})` : `to_microseconds(${value.micros}::BIGINT)`;
}
