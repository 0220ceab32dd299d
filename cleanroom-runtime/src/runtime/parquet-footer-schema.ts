/**
 * A Delta schema from a Parquet file's footer, so a registered Parquet dataset gets the schema the clean room
 * read rather than the one a payload claims. Top-level primitive columns are typed; nested columns (groups)
 * are listed as `string` with `metadata.parquetGroup = true` so their presence is visible.
 */
import type { SchemaElement } from '../delta/parquet-lib';
import { hyparquet } from '../delta/parquet-lib';
import type { PrimitiveType, StructField, StructType } from '../delta/schema-types';

export function parquetFooterSchema(bytes: Uint8Array): StructType {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const elements = hyparquet.parquetMetadata(buffer).schema;
  const fields: StructField[] = [];
  let i = 1;
  while (i < elements.length) {
    const element = elements[i];
    const nullable = element.repetition_type !== 'REQUIRED';
    if (element.num_children) {
      fields.push({ name: element.name, type: 'string', nullable, metadata: { parquetGroup: true } });
      i = skipGroup(elements, i);
      continue;
    }
    fields.push({ name: element.name, type: primitiveType(element), nullable, metadata: {} });
    i++;
  }
  return { type: 'struct', fields };
}

function skipGroup(elements: SchemaElement[], start: number): number {
  let remaining = 1;
  let i = start;
  while (remaining > 0 && i < elements.length) {
    remaining += (elements[i].num_children ?? 0) - 1;
    i++;
  }
  return i;
}

function primitiveType(element: SchemaElement): PrimitiveType {
  const logical = element.logical_type;
  if (logical?.type === 'DECIMAL') return `decimal(${logical.precision},${logical.scale})`;
  if (element.converted_type === 'DECIMAL' && element.precision !== undefined) return `decimal(${element.precision},${element.scale ?? 0})`;
  if (logical?.type === 'DATE' || element.converted_type === 'DATE') return 'date';
  if (logical?.type === 'TIMESTAMP') return logical.isAdjustedToUTC ? 'timestamp' : 'timestamp_ntz';
  if (element.converted_type === 'TIMESTAMP_MILLIS' || element.converted_type === 'TIMESTAMP_MICROS') return 'timestamp';
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      return 'integer';
    case 'INT64':
      return 'long';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
      return logical?.type === 'STRING' || logical?.type === 'JSON' || logical?.type === 'ENUM' || element.converted_type === 'UTF8' ? 'string' : 'binary';
    default:
      return 'binary';
  }
}
