import type { DeltaType, StructType } from 'cleanroom-runtime/src/delta/schema-types';

/** Spark SQL type names for Delta schema types, as Databricks reports them (`DESCRIBE TABLE` / `type_text`). */
const PRIMITIVE_SQL_TYPES: Record<string, string> = {
  string: 'string',
  long: 'bigint',
  integer: 'int',
  short: 'smallint',
  byte: 'tinyint',
  float: 'float',
  double: 'double',
  boolean: 'boolean',
  binary: 'binary',
  date: 'date',
  timestamp: 'timestamp',
  timestamp_ntz: 'timestamp_ntz',
};

/** The SQL type of a Delta schema type, e.g. `long` → `bigint`, `decimal(10,2)` → `decimal(10,2)`. */
export function deltaTypeToSql(type: DeltaType): string {
  if (typeof type === 'string') {
    const primitive = PRIMITIVE_SQL_TYPES[type];
    if (primitive !== undefined) return primitive;
    if (/^decimal\(\d+,\d+\)$/.test(type)) return type;
    throw new Error(`Delta type "${type}" has no SQL mapping`);
  }
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${deltaTypeToSql(f.type)}`).join(',')}>`;
    case 'array':
      return `array<${deltaTypeToSql(type.elementType)}>`;
    case 'map':
      return `map<${deltaTypeToSql(type.keyType)},${deltaTypeToSql(type.valueType)}>`;
  }
}

export interface SqlColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

/** Table columns for a Delta schema, in schema order. */
export function sqlColumns(schema: StructType): SqlColumn[] {
  return schema.fields.map((field) => ({ name: field.name, type: deltaTypeToSql(field.type), nullable: field.nullable }));
}
