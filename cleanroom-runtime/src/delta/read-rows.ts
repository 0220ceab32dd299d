/**
 * Decoded Parquet rows → Delta rows of the table schema: columns found by logical name, physical name or field id
 * (column mapping), nested values rebuilt with logical field names, partition columns from `partitionValues`,
 * columns missing from the file (schema evolution, dropped and re-added columns) as null, and values converted
 * to the DeltaValue conventions (schema-types.ts). Pure.
 */
import { findFileField, partitionValueOf, type ColumnMappingMode } from './column-mapping';
import type { ParquetField } from './parquet-fields';
import type { ParquetContents } from './parquet-read';
import { parsePartitionValue } from './partition-values';
import type { DeltaRow, DeltaStructValue, DeltaType, DeltaValue, StructType } from './schema-types';
import { bytesToSignedBigInt, formatDate, parseDecimalType, unscaledToDecimal } from './values';

export interface RowSource {
  schema: StructType;
  partitionColumns: string[];
  columnMapping: ColumnMappingMode;
}

/** The top-level file columns that hold the table's data columns (what to decode). */
export function fileColumnsFor(source: RowSource, fields: ParquetField[]): string[] {
  return source.schema.fields
    .filter((f) => !source.partitionColumns.includes(f.name))
    .flatMap((f) => {
      const found = findFileField(fields, f, source.columnMapping);
      return found ? [found.name] : [];
    });
}

export function toDeltaRows(contents: ParquetContents, source: RowSource, partitionValues: Record<string, string | null>, filePath: string): DeltaRow[] {
  const { schema, partitionColumns, columnMapping } = source;
  if (columnMapping === 'id' && contents.fields.length > 0 && !contents.fields.some((f) => f.fieldId !== undefined)) {
    // Protocol: "If a data file does not contain field ids, readers must refuse to read that file or return nulls".
    throw new Error(`file ${filePath} has no Parquet field ids, which column mapping mode "id" needs to find its columns`);
  }
  const partitions = new Map<string, DeltaValue>();
  for (const column of partitionColumns) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) throw new Error(`partition column ${column} is not in the table schema`);
    partitions.set(column, parsePartitionValue(partitionValueOf(partitionValues, field, columnMapping), field.type, column));
  }
  const sources = schema.fields.map((field) => ({ field, file: partitions.has(field.name) ? undefined : findFileField(contents.fields, field, columnMapping) }));
  return contents.rows.map((raw) => {
    const row: DeltaRow = {};
    for (const { field, file } of sources) {
      const value = partitions.has(field.name)
        ? partitions.get(field.name)!
        : file
          ? toDeltaValue(raw[file.name], field.type, file, { mode: columnMapping, filePath }, field.name)
          : null;
      setOwn(row, field.name, value);
    }
    return row;
  });
}

interface Context {
  mode: ColumnMappingMode;
  filePath: string;
}

/** One decoded value of the file column `file` → the Delta value of `type`. */
function toDeltaValue(raw: unknown, type: DeltaType, file: ParquetField, ctx: Context, path: string): DeltaValue {
  if (raw === null || raw === undefined) return null;
  const unexpected = (): Error => new Error(`file ${ctx.filePath}: column ${path} (${typeof type === 'string' ? type : type.type}) holds an unexpected ${Array.isArray(raw) ? 'list' : typeof raw} value`);
  if (typeof type === 'string') return fromParquet(raw, type, file, unexpected, `file ${ctx.filePath}: column ${path}`);
  switch (type.type) {
    case 'struct': {
      if (!isPlainObject(raw)) throw unexpected();
      const out: DeltaStructValue = {};
      for (const sub of type.fields) {
        const child = findFileField(file.children, sub, ctx.mode);
        setOwn(out, sub.name, child ? toDeltaValue(raw[child.name], sub.type, child, ctx, `${path}.${sub.name}`) : null);
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(raw)) throw unexpected();
      const element = listElement(file);
      if (!element) throw new Error(`file ${ctx.filePath}: column ${path} is an array in the table but not a list in the file`);
      return raw.map((item) => toDeltaValue(item, type.elementType, element, ctx, `${path}.element`));
    }
    case 'map': {
      const entriesField = file.annotation === 'MAP' && file.children.length === 1 ? file.children[0] : undefined;
      const keyField = entriesField?.children.find((c) => c.name === 'key') ?? entriesField?.children[0];
      const valueField = entriesField?.children.find((c) => c.name === 'value') ?? entriesField?.children[1];
      if (!entriesField || !keyField || !valueField) throw new Error(`file ${ctx.filePath}: column ${path} is a map in the table but not in the file`);
      if (!isPlainObject(raw) || !Array.isArray(raw[entriesField.name])) throw unexpected();
      return (raw[entriesField.name] as unknown[]).map((entry) => {
        if (!isPlainObject(entry)) throw unexpected();
        return {
          key: toDeltaValue(entry[keyField.name], type.keyType, keyField, ctx, `${path}.key`),
          value: toDeltaValue(entry[valueField.name], type.valueType, valueField, ctx, `${path}.value`),
        };
      });
    }
  }
}

/**
 * The file field of a list's elements, as hyparquet assembles it: the repeated group's only child (three-level
 * lists), else the repeated field itself (two-level lists, or an unannotated repeated column).
 */
function listElement(file: ParquetField): ParquetField | undefined {
  if (file.repetition === 'REPEATED' && file.annotation !== 'LIST') return file;
  if (file.annotation !== 'LIST' || file.children.length !== 1) return undefined;
  const repeated = file.children[0];
  return repeated.children.length === 1 ? repeated.children[0] : repeated;
}

function fromParquet(value: unknown, type: string, info: ParquetField, unexpected: () => Error, where: string): DeltaValue {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (value instanceof Uint8Array) return new TextDecoder().decode(value);
      throw unexpected();
    case 'integer':
    case 'short':
    case 'byte':
    case 'float':
    case 'double':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      throw unexpected();
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      throw unexpected();
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw unexpected();
    case 'binary':
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string') return new TextEncoder().encode(value);
      throw unexpected();
    case 'date':
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return formatDate(value);
      throw unexpected();
    default: {
      const decimal = parseDecimalType(type);
      if (!decimal) throw unexpected();
      if (info.decimalScale === undefined) {
        if (typeof value === 'number' || typeof value === 'bigint') return unscaledToDecimal(BigInt(value) * 10n ** BigInt(decimal.scale), decimal.scale);
        throw unexpected();
      }
      let unscaled: bigint;
      if (typeof value === 'bigint') unscaled = value;
      else if (typeof value === 'number') unscaled = BigInt(value);
      else if (value instanceof Uint8Array) unscaled = bytesToSignedBigInt(value);
      else throw unexpected();
      // A file may store fewer fraction digits than the (widened) table type; rescale exactly.
      if (info.decimalScale > decimal.scale) throw new Error(`${where} has scale ${info.decimalScale} > table scale ${decimal.scale}`);
      return unscaledToDecimal(unscaled * 10n ** BigInt(decimal.scale - info.decimalScale), decimal.scale);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Sets a field even when its name is `__proto__` (a column name is the table owner's choice). */
function setOwn(target: Record<string, DeltaValue>, key: string, value: DeltaValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
