/** DuckDB column type for a Delta type, to give loaded Delta tables (and their partition columns) their schema. */
import type { DeltaType } from '../../delta/schema-types';
import { quoteIdentifier } from './sql-text';

const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  binary: 'BLOB',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  timestamp_ntz: 'TIMESTAMP',
};

export function duckdbTypeFor(type: DeltaType): string {
  if (typeof type === 'string') {
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
    if (decimal) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
    const primitive = PRIMITIVES[type];
    if (!primitive) throw new Error(`Delta type ${type} has no DuckDB equivalent`);
    return primitive;
  }
  switch (type.type) {
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteIdentifier(f.name)} ${duckdbTypeFor(f.type)}`).join(', ')})`;
    case 'array':
      return `${duckdbTypeFor(type.elementType)}[]`;
    case 'map':
      return `MAP(${duckdbTypeFor(type.keyType)}, ${duckdbTypeFor(type.valueType)})`;
  }
}
