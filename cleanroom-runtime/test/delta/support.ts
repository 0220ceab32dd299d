/** Shared helpers for the Delta tests: fixture locations and a JSON-comparable form of rows. */
import * as path from 'node:path';
import { formatTimestamp, formatTimestampNtz } from '../../src/delta/values';
import type { DeltaRow, DeltaType, DeltaValue, StructType } from '../../src/delta/schema-types';

export const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/delta');

export type ComparableValue = string | number | boolean | null | ComparableValue[] | { [key: string]: ComparableValue };
export type Comparable = Record<string, ComparableValue>;

/**
 * expected.json conventions: long → decimal string, timestamp → ISO UTC with 6 digits, timestamp_ntz → the same
 * without zone, binary → 'hex:…', struct → object, array → array, map → [{ key, value }] (sorted: order-insensitive).
 */
export function comparable(row: DeltaRow, schema: StructType): Comparable {
  const out: Comparable = {};
  for (const field of schema.fields) out[field.name] = comparableValue(row[field.name], field.type);
  return out;
}

function comparableValue(v: DeltaValue | undefined, type: DeltaType): ComparableValue {
  if (v === null || v === undefined) return null;
  if (type === 'timestamp') return formatTimestamp(v as bigint);
  if (type === 'timestamp_ntz') return formatTimestampNtz(v as bigint);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (typeof type === 'string') return v as string | number | boolean;
  if (type.type === 'struct') {
    const struct = v as Record<string, DeltaValue>;
    return Object.fromEntries(type.fields.map((f) => [f.name, comparableValue(struct[f.name], f.type)]));
  }
  if (type.type === 'array') return (v as DeltaValue[]).map((item) => comparableValue(item, type.elementType));
  const entries = (v as Array<{ key: DeltaValue; value: DeltaValue }>).map((e) => ({ key: comparableValue(e.key, type.keyType), value: comparableValue(e.value, type.valueType) }));
  return sortRows(entries);
}

/** Order-insensitive comparison key. */
export function sortRows<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}
