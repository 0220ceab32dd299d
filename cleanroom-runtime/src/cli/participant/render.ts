/** Rows as a readable, aligned text table or as JSON lines (bigint and timestamps as strings). */
import { formatTimestamp, type DeltaRow, type DeltaValue, type StructType } from '../../delta';

/** One cell as text: timestamps ISO-8601 UTC, longs exact, binary as hex, null as ''. */
export function cellText(value: DeltaValue | undefined, type: unknown): string {
  if (value === null || value === undefined) return '';
  if (type === 'timestamp' && typeof value === 'bigint') return formatTimestamp(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return String(value);
}

function typeOf(schema: StructType, column: string): unknown {
  return schema.fields.find((f) => f.name === column)?.type;
}

/** One JSON object per row: every column of the schema; bigint and timestamps as strings. */
export function jsonLines(rows: readonly DeltaRow[], schema: StructType, extra: Record<string, string> = {}): string {
  return rows
    .map((row) => {
      const out: Record<string, string | number | boolean | null> = { ...extra };
      for (const field of schema.fields) {
        const value = row[field.name];
        out[field.name] =
          value === undefined || value === null ? null : typeof value === 'number' || typeof value === 'boolean' ? value : cellText(value, field.type);
      }
      return `${JSON.stringify(out)}\n`;
    })
    .join('');
}

const MAX_CELL = 80;

/**
 * Aligned columns with a header; newlines flattened. Long cells are cut except in the last column, which needs
 * no alignment (messages and errors go there, whole); JSON output keeps everything.
 */
export function textTable(rows: readonly DeltaRow[], schema: StructType, columns: readonly string[]): string {
  const last = columns[columns.length - 1];
  const cells = rows.map((row) =>
    columns.map((c) => {
      const text = cellText(row[c], typeOf(schema, c)).replace(/\s*\r?\n\s*/g, ' ');
      return text.length > MAX_CELL && c !== last ? `${text.slice(0, MAX_CELL - 1)}…` : text;
    }),
  );
  const widths = columns.map((c, i) => (c === last ? 0 : Math.max(c.length, ...cells.map((r) => r[i].length))));
  const line = (values: readonly string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].map((l) => `${l}\n`).join('');
}
