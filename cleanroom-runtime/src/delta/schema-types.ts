/** Delta Lake schema types, as serialised in `metaData.schemaString` (Delta protocol, "Schema Serialization Format"). */
export type PrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | `decimal(${number},${number})`;

export interface StructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface StructType {
  type: 'struct';
  fields: StructField[];
}

export interface ArrayType {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}

export interface MapType {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}

export type DeltaType = PrimitiveType | StructType | ArrayType | MapType;

/**
 * One cell as the reader returns it and the writer accepts it:
 * string → string; integer/short/byte/float/double → number; long → bigint; boolean → boolean;
 * binary → Uint8Array; decimal → string (exact); date → string 'YYYY-MM-DD';
 * timestamp → bigint microseconds since the Unix epoch, UTC (exact, also beyond 2^53);
 * timestamp_ntz → bigint microseconds of the wall-clock time counted as if it were UTC;
 * struct → object keyed by logical field names; array → array; map → array of `{ key, value }` entries in file
 * order (keys of any type, so not a JS object).
 */
export type DeltaPrimitiveValue = string | number | bigint | boolean | Uint8Array | null;
export type DeltaValue = DeltaPrimitiveValue | DeltaValue[] | DeltaStructValue;
export interface DeltaStructValue {
  [field: string]: DeltaValue;
}
export type DeltaRow = Record<string, DeltaValue>;

/** Shorthand for declaring a flat schema in code. */
export function struct(fields: Array<[name: string, type: PrimitiveType, nullable?: boolean]>): StructType {
  return {
    type: 'struct',
    fields: fields.map(([name, type, nullable = true]) => ({ name, type, nullable, metadata: {} })),
  };
}
