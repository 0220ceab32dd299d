/** Rows as a readable, aligned text table or as JSON lines (bigint and timestamps as strings). */
import { formatTimestamp, formatTimestampNtz, type DeltaRow, type DeltaType, type DeltaValue, type StructType } from '../../delta';

/** One cell as text: timestamps ISO-8601 (UTC, or wall clock for timestamp_ntz), longs exact, binary as hex, nested values as JSON, null as ''. */
export function cellText(value: DeltaValue | undefined, type: unknown): string {
  if (value === null || value === undefined) return '';
  // A double or float keeps its type on screen: 8.0, as Spark and Databricks show it, never 8 (JSON keeps numbers).
  if (typeof value === 'number' && (type === 'double' || type === 'float')) return floatText(value);
  const plain = plainValue(value, type as DeltaType | undefined);
  return typeof plain === 'string' ? plain : JSON.stringify(plain);
}

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** A JSON-able form of a value of `type` (cellText's conventions, nested values included). */
function plainValue(value: DeltaValue | undefined, type: DeltaType | undefined): Plain {
  if (value === null || value === undefined) return null;
  if (type === 'timestamp' && typeof value === 'bigint') return formatTimestamp(value);
  if (type === 'timestamp_ntz' && typeof value === 'bigint') return formatTimestampNtz(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return value;
  const nested = typeof type === 'object' ? type : undefined;
  if (Array.isArray(value)) {
    if (nested?.type === 'map') {
      return value.map((entry) => {
        const e = entry as { key?: DeltaValue; value?: DeltaValue };
        return { key: plainValue(e.key, nested.keyType), value: plainValue(e.value, nested.valueType) };
      });
    }
    return value.map((item) => plainValue(item, nested?.type === 'array' ? nested.elementType : undefined));
  }
  const fields = nested?.type === 'struct' ? nested.fields : [];
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v, fields.find((f) => f.name === k)?.type)]));
}

/** A floating-point value as text: at least one decimal for whole numbers; NaN and infinities by name. */
export function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const text = String(value);
  return Number.isInteger(value) && !/e/i.test(text) ? `${text}.0` : text;
}

function typeOf(schema: StructType, column: string): unknown {
  return schema.fields.find((f) => f.name === column)?.type;
}

/** One JSON object per row: every column of the schema; bigint and timestamps as strings, nested values as JSON. */
export function jsonLines(rows: readonly DeltaRow[], schema: StructType, extra: Record<string, string> = {}): string {
  return rows
    .map((row) => {
      const out: Record<string, Plain> = { ...extra };
      for (const field of schema.fields) out[field.name] = plainValue(row[field.name], field.type);
      return `${JSON.stringify(out)}\n`;
    })
    .join('');
}

const MAX_CELL = 80;
/** How much of the last (free text) column must fit on the first line for the table layout to be kept. */
const LAST_COLUMN_MIN = 30;

export interface TableLayout {
  /** The columns the output must fit (a terminal's width); undefined: no limit. */
  width?: number;
}

/**
 * Aligned columns with a header; newlines flattened. Long cells are cut except in the last column, which needs
 * no alignment (messages and errors go there, whole); JSON output keeps everything. A table wider than
 * `layout.width` is printed as one block of `column: value` lines per row instead, every value whole, so no
 * hash or id a reader must copy is ever cut to fit.
 */
export function textTable(rows: readonly DeltaRow[], schema: StructType, columns: readonly string[], layout: TableLayout = {}): string {
  const last = columns[columns.length - 1];
  const whole = rows.map((row) => columns.map((c) => cellText(row[c], typeOf(schema, c)).replace(/\s*\r?\n\s*/g, ' ')));
  const cells = whole.map((row) => row.map((text, i) => (text.length > MAX_CELL && columns[i] !== last ? `${text.slice(0, MAX_CELL - 1)}…` : text)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]): string => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(columns), ...cells.map(line)];
  // The last column may wrap (free text); the aligned ones and the start of the last must fit.
  const aligned = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0) + Math.min(widths[widths.length - 1], LAST_COLUMN_MIN);
  if (layout.width !== undefined && aligned > layout.width) return recordLayout(whole, columns);
  return lines.map((l) => `${l}\n`).join('');
}

/** One block per row: `column  value` lines, a blank line between rows. */
function recordLayout(rows: readonly string[][], columns: readonly string[]): string {
  const width = Math.max(...columns.map((c) => c.length));
  return rows.map((row, n) => `${n > 0 ? '\n' : ''}${columns.map((c, i) => `${c.padEnd(width)}  ${row[i]}`.trimEnd()).join('\n')}\n`).join('');
}
