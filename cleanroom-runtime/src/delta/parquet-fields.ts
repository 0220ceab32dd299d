/**
 * The field tree of a Parquet file as the Delta reader needs it: names, field ids (column mapping `id` mode),
 * nesting, and what the footer's annotations said before they were removed so hyparquet decodes exactly:
 * - DECIMAL (at any depth): hyparquet would turn unscaled integers into inexact floats; the scale is kept here;
 * - MAP (when `exactMaps`): hyparquet would turn entries into a JS object, converting every key to a string
 *   (an array or long key loses its type); without it a map decodes as `{ <repeated group>: [{ key, value }] }`.
 */
import type { SchemaElement } from './parquet-lib';

export interface ParquetField {
  name: string;
  /** Parquet `field_id` (written by Delta column mapping). */
  fieldId?: number;
  repetition?: string;
  /** Physical type of a primitive column (undefined for groups). */
  physicalType?: string;
  /** Present when the column was annotated DECIMAL; its values are then raw unscaled integers. */
  decimalScale?: number;
  /** True when the column holds timestamps written without UTC adjustment (timestamp_ntz). */
  timestampWithoutZone?: boolean;
  /** LIST or MAP when the group was annotated so. */
  annotation?: 'LIST' | 'MAP';
  children: ParquetField[];
}

/** The top-level fields (children of the root), annotations stripped from `schema` in place as described above. */
export function describeFields(schema: SchemaElement[], options: { exactMaps?: boolean } = {}): ParquetField[] {
  let index = 1;
  const read = (): ParquetField => {
    const element = schema[index++];
    if (!element) throw new Error('the Parquet schema ends before all its groups are complete');
    const field: ParquetField = { name: element.name, children: [] };
    if (element.field_id !== undefined) field.fieldId = element.field_id;
    if (element.repetition_type) field.repetition = element.repetition_type;
    if (element.type) field.physicalType = element.type;
    if (element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL') {
      field.decimalScale = element.scale ?? (element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : 0) ?? 0;
      delete element.converted_type;
      delete element.logical_type;
    }
    if (element.logical_type?.type === 'TIMESTAMP' && element.logical_type.isAdjustedToUTC === false) field.timestampWithoutZone = true;
    if (element.converted_type === 'LIST' || element.logical_type?.type === 'LIST') field.annotation = 'LIST';
    const isMap = element.converted_type === 'MAP' || element.converted_type === 'MAP_KEY_VALUE' || element.logical_type?.type === 'MAP';
    if (isMap && element.converted_type !== 'MAP_KEY_VALUE') field.annotation = 'MAP';
    if (isMap && options.exactMaps) {
      delete element.converted_type;
      delete element.logical_type;
    }
    for (let c = 0; c < (element.num_children ?? 0); c++) field.children.push(read());
    return field;
  };
  const fields: ParquetField[] = [];
  const rootChildren = schema[0]?.num_children ?? 0;
  for (let c = 0; c < rootChildren; c++) fields.push(read());
  return fields;
}
