/**
 * Conversions between the DeltaValue conventions (schema-types.ts) and their textual / physical forms:
 * timestamps as exact bigint microseconds, dates as 'YYYY-MM-DD', decimals as exact strings.
 */

const MICROS_PER_DAY = 86_400_000_000n;

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** Days since 1970-01-01 for a proleptic Gregorian civil date (H. Hinnant's algorithm; exact for any year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${year < 0 ? '-' : ''}${pad(Math.abs(year), 4)}-${pad(month)}-${pad(day)}`;
}

const DATE_RE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;

/** Parses 'YYYY-MM-DD' to days since epoch; throws on anything else (including impossible dates). */
export function parseDate(text: string): number {
  const m = DATE_RE.exec(text);
  if (!m) throw new Error(`date ${JSON.stringify(text)} is not in the form YYYY-MM-DD`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = daysFromCivil(year, month, day);
  const back = civilFromDays(days);
  if (back.year !== year || back.month !== month || back.day !== day) throw new Error(`date ${JSON.stringify(text)} does not exist`);
  return days;
}

/** Microseconds since epoch → 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC, always six fraction digits). */
export function formatTimestamp(micros: bigint): string {
  const days = floorDiv(micros, MICROS_PER_DAY);
  let rest = micros - days * MICROS_PER_DAY;
  const frac = rest % 1_000_000n;
  rest /= 1_000_000n;
  const secs = Number(rest);
  const time = `${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}`;
  return `${formatDate(Number(days))}T${time}.${String(frac).padStart(6, '0')}Z`;
}

const TIMESTAMP_RE = /^(-?\d{4,}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses 'yyyy-MM-dd HH:mm:ss[.SSSSSS]' (Delta partition values, UTC) or ISO-8601 with Z/offset, to exact
 * microseconds. More than six fraction digits must be zeros beyond the microsecond (no silent rounding).
 */
export function parseTimestamp(text: string): bigint {
  const m = TIMESTAMP_RE.exec(text.trim());
  if (!m) throw new Error(`timestamp ${JSON.stringify(text)} is not in the form yyyy-MM-dd HH:mm:ss[.ffffff][Z]`);
  const days = BigInt(parseDate(m[1]));
  const [h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) throw new Error(`timestamp ${JSON.stringify(text)} has an invalid time of day`);
  const fraction = (m[5] ?? '').padEnd(9, '0');
  if (!/^0*$/.test(fraction.slice(6))) throw new Error(`timestamp ${JSON.stringify(text)} is more precise than microseconds`);
  let offsetMinutes = 0;
  if (m[6] && m[6] !== 'Z') {
    const sign = m[6][0] === '-' ? -1 : 1;
    const digits = m[6].slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const seconds = BigInt(h * 3600 + mi * 60 + s - offsetMinutes * 60);
  return days * MICROS_PER_DAY + seconds * 1_000_000n + BigInt(fraction.slice(0, 6));
}

/**
 * A timestamp without time zone (timestamp_ntz) in the partition-value form 'yyyy-MM-dd HH:mm:ss[.ffffff]' →
 * microseconds of that wall-clock time counted as if it were UTC. A zone or offset is refused: the protocol writes
 * none, and applying one would move the value.
 */
export function parseTimestampNtz(text: string): bigint {
  if (/(?:Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) throw new Error(`timestamp without time zone ${JSON.stringify(text)} carries a zone`);
  return parseTimestamp(text);
}

/** Microseconds of a timestamp_ntz → 'YYYY-MM-DDTHH:MM:SS.ffffff' (wall-clock time, no zone). */
export function formatTimestampNtz(micros: bigint): string {
  return formatTimestamp(micros).slice(0, -1);
}

/**
 * Partition-value form of a timestamp: ISO-8601 in UTC with `Z` (yyyy-MM-ddTHH:mm:ss.ffffffZ). The protocol also
 * allows 'yyyy-MM-dd HH:mm:ss', which readers take in their session time zone; the zoned form means one instant
 * everywhere (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#partition-value-serialization).
 */
export function formatPartitionTimestamp(micros: bigint): string {
  return formatTimestamp(micros);
}

export interface DecimalType {
  precision: number;
  scale: number;
}

export function parseDecimalType(type: string): DecimalType | undefined {
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** Exact decimal text → unscaled integer; refuses values that need rounding or exceed the precision. */
export function decimalToUnscaled(text: string, { precision, scale }: DecimalType): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`decimal ${JSON.stringify(text)} is not a plain decimal number`);
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) throw new Error(`decimal ${text} has more than ${scale} fraction digits`);
  const digits = ((m[2] || '0') + fraction.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  if (digits.replace(/^0+/, '').length > precision) throw new Error(`decimal ${text} does not fit decimal(${precision},${scale})`);
  const unscaled = BigInt(digits);
  return m[1] === '-' ? -unscaled : unscaled;
}

/** Unscaled integer → exact decimal text with exactly `scale` fraction digits. */
export function unscaledToDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** Big-endian two's complement bytes → bigint. */
export function bytesToSignedBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  if (bytes.length && bytes[0] & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** bigint → big-endian two's complement bytes of a fixed length. */
export function signedBigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = BigInt.asUintN(length * 8, value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
