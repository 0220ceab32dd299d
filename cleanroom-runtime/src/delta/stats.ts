/**
 * Per-file statistics for `add.stats` (Delta protocol "Per-file Statistics"): numRecords, nullCount for every
 * data column, and exact minValues/maxValues only where they are unambiguous to Spark's data skipping
 * (integers within JSON's exact range, dates, short strings). Timestamps, floats, decimals and binary get no
 * min/max: absent bounds only disable skipping, wrong bounds would make Spark skip live rows.
 */
import type { DeltaRow, StructField } from './schema-types';

/** Spark truncates string statistics at 32 characters; longer values are left out instead. */
const MAX_STRING_STAT = 32;

type Bound = number | string;

export function computeStats(fields: StructField[], rows: DeltaRow[]): string {
  const minValues: Record<string, Bound> = {};
  const maxValues: Record<string, Bound> = {};
  const nullCount: Record<string, number> = {};
  for (const field of fields) {
    let nulls = 0;
    let min: Bound | undefined;
    let max: Bound | undefined;
    let usable = supportsBounds(field.type);
    for (const row of rows) {
      const value = row[field.name] ?? null;
      if (value === null) {
        nulls++;
        continue;
      }
      if (!usable) continue;
      const bound = toBound(value);
      if (bound === undefined) {
        usable = false;
        continue;
      }
      if (min === undefined || compare(bound, min) < 0) min = bound;
      if (max === undefined || compare(bound, max) > 0) max = bound;
    }
    nullCount[field.name] = nulls;
    if (usable && min !== undefined && max !== undefined) {
      minValues[field.name] = min;
      maxValues[field.name] = max;
    }
  }
  return JSON.stringify({ numRecords: rows.length, minValues, maxValues, nullCount });
}

function supportsBounds(type: StructField['type']): boolean {
  return type === 'integer' || type === 'short' || type === 'byte' || type === 'long' || type === 'date' || type === 'string';
}

function toBound(value: unknown): Bound | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  if (typeof value === 'string') return [...value].length <= MAX_STRING_STAT ? value : undefined;
  return undefined;
}

/** Numbers numerically; strings by UTF-8 bytes, as Spark orders them. */
function compare(a: Bound, b: Bound): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
}
