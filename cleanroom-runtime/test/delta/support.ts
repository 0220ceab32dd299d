/** Shared helpers for the Delta tests: fixture locations and a JSON-comparable form of rows. */
import * as path from 'node:path';
import { formatTimestamp } from '../../src/delta/values';
import type { DeltaRow, StructType } from '../../src/delta/schema-types';

export const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/delta');

export type Comparable = Record<string, string | number | boolean | null>;

/** expected.json conventions: long → decimal string, timestamp → ISO UTC with 6 digits, binary → 'hex:…'. */
export function comparable(row: DeltaRow, schema: StructType): Comparable {
  const out: Comparable = {};
  for (const field of schema.fields) {
    const v = row[field.name];
    if (v === null || v === undefined) out[field.name] = null;
    else if (field.type === 'timestamp') out[field.name] = formatTimestamp(v as bigint);
    else if (typeof v === 'bigint') out[field.name] = v.toString();
    else if (v instanceof Uint8Array) out[field.name] = `hex:${Buffer.from(v).toString('hex')}`;
    else out[field.name] = v;
  }
  return out;
}

/** Order-insensitive comparison key. */
export function sortRows<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}
