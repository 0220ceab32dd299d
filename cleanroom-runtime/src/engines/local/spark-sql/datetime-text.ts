/**
 * Spark's reading of date and timestamp strings (DateTimeUtils.stringToDate / stringToTimestamp), for literals
 * folded at compile time: `[+-]yyyy[-m[m][-d[d]]]` with 4 to 7 year digits, a day optionally followed by ' ' or
 * 'T' and anything (dates) or a time `h[h]:m[m][:s[s][.f…]]` (timestamps). Surrounding whitespace is ignored.
 */

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

export interface TimestampParts extends DateParts {
  hour: number;
  minute: number;
  second: number;
  micros: number;
  /** An explicit zone: 'Z' or ±hh:mm, or undefined for the session time zone. */
  zone?: string;
}

const TRIM = /^[\x00-\x20]+|[\x00-\x20]+$/g;
const DATE = /^([+-]?)(\d{4,7})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T].*)?)?)?$/s;
const TIMESTAMP = /^([+-]?)(\d{4,7})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseSparkDate(text: string): DateParts | undefined {
  const match = DATE.exec(text.replace(TRIM, ''));
  if (!match) return undefined;
  const year = Number(match[2]) * (match[1] === '-' ? -1 : 1);
  const parts = { year, month: Number(match[3] ?? 1), day: Number(match[4] ?? 1) };
  return validDate(parts) ? parts : undefined;
}

export function parseSparkTimestamp(text: string): TimestampParts | undefined {
  const match = TIMESTAMP.exec(text.replace(TRIM, ''));
  if (!match) return undefined;
  const year = Number(match[2]) * (match[1] === '-' ? -1 : 1);
  const fraction = (match[8] ?? '').padEnd(9, '0');
  const parts: TimestampParts = {
    year,
    month: Number(match[3] ?? 1),
    day: Number(match[4] ?? 1),
    hour: Number(match[5] ?? 0),
    minute: Number(match[6] ?? 0),
    second: Number(match[7] ?? 0),
    micros: Number(fraction.slice(0, 6)),
    zone: match[9],
  };
  if (!validDate(parts) || parts.hour > 23 || parts.minute > 59 || parts.second > 59) return undefined;
  return parts;
}

function validDate(p: DateParts): boolean {
  if (p.month < 1 || p.month > 12 || p.day < 1) return false;
  const leap = (p.year % 4 === 0 && p.year % 100 !== 0) || p.year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][p.month - 1];
  return p.day <= days;
}

/** ISO text DuckDB reads back exactly ('-0001-01-28' style for years outside 0..9999 uses DuckDB's own form). */
export function isoDate(p: DateParts): string {
  // DuckDB writes years before 1 as BC, counting 1 BC as year 0 of the proleptic calendar.
  if (p.year < 0) return `${String(1 - p.year).padStart(4, '0')}-${pad(p.month)}-${pad(p.day)} (BC)`;
  return `${String(p.year).padStart(4, '0')}-${pad(p.month)}-${pad(p.day)}`;
}

export function isoTimestamp(p: TimestampParts): string {
  const time = `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${p.micros ? `.${String(p.micros).padStart(6, '0')}` : ''}`;
  return `${isoDate(p).replace(' (BC)', '')} ${time}${p.year < 0 ? ' (BC)' : ''}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
