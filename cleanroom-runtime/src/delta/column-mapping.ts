/**
 * Column mapping (Delta protocol "Column Mapping"): with `delta.columnMapping.mode` = `name` or `id`, every column
 * (nested ones too) has a physical name (`delta.columnMapping.physicalName`) and an id (`delta.columnMapping.id`).
 * Data files use the physical names and carry the ids as Parquet `field_id`s; partition values are keyed by
 * physical name. In `name` mode columns are found by physical name, in `id` mode by field id; a column absent
 * from a file reads as null. The mode is honoured only where the protocol supports the feature (reader version 2,
 * or version 3 with `columnMapping` in `readerFeatures`). Pure.
 */
import type { MetadataAction, ProtocolAction } from './actions';
import { UnsupportedDeltaFeatureError } from './errors';
import type { StructField } from './schema-types';

export type ColumnMappingMode = 'none' | 'name' | 'id';

const PHYSICAL_NAME = 'delta.columnMapping.physicalName';
const FIELD_ID = 'delta.columnMapping.id';

/** The mode a reader must use for this table; an unknown mode is refused rather than guessed. */
export function columnMappingMode(location: string, protocol: ProtocolAction, metadata: MetadataAction): ColumnMappingMode {
  const supported =
    protocol.minReaderVersion === 2 || (protocol.minReaderVersion === 3 && (protocol.readerFeatures ?? []).includes('columnMapping'));
  const mode = metadata.configuration['delta.columnMapping.mode'];
  if (!supported || mode === undefined || mode === null || mode === 'none') return 'none';
  if (mode === 'name' || mode === 'id') return mode;
  throw new UnsupportedDeltaFeatureError(location, 'columnMapping', `table property delta.columnMapping.mode=${JSON.stringify(mode)} is not none, name or id`);
}

/** Name of the field in data files and in `partitionValues`: its physical name under column mapping. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name;
  const physical = field.metadata?.[PHYSICAL_NAME];
  return typeof physical === 'string' && physical !== '' ? physical : field.name;
}

/** The field's column mapping id, or undefined when it has none. */
export function columnMappingId(field: StructField): number | undefined {
  const id = field.metadata?.[FIELD_ID];
  return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
}

/** What a Parquet group child is matched on. */
export interface FileFieldKey {
  name: string;
  fieldId?: number;
}

/**
 * The child of a Parquet group that holds `field`: by logical name (no mapping), physical name (`name`) or field id
 * (`id`); undefined when the file does not have it (the column then reads as null).
 */
export function findFileField<T extends FileFieldKey>(children: readonly T[], field: StructField, mode: ColumnMappingMode): T | undefined {
  if (mode === 'id') {
    const id = columnMappingId(field);
    return id === undefined ? undefined : children.find((child) => child.fieldId === id);
  }
  const name = physicalName(field, mode);
  return children.find((child) => child.name === name);
}

/** `partitionValues` of a file, looked up for a partition column (by physical name, logical name as a fallback). */
export function partitionValueOf(partitionValues: Record<string, string | null>, field: StructField, mode: ColumnMappingMode): string | null | undefined {
  const physical = physicalName(field, mode);
  if (Object.prototype.hasOwnProperty.call(partitionValues, physical)) return partitionValues[physical];
  return Object.prototype.hasOwnProperty.call(partitionValues, field.name) ? partitionValues[field.name] : undefined;
}
