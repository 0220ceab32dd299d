/**
 * Spark SQL data types as the front tracks them, Spark's names for them (`int`, `decimal(10,2)`, `array<string>`),
 * the DuckDB type that stores each one exactly, and the widening rules Spark's type coercion applies.
 */

export type AtomicKind =
  | 'void'
  | 'boolean'
  | 'tinyint'
  | 'smallint'
  | 'int'
  | 'bigint'
  | 'float'
  | 'double'
  | 'string'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz';

export type SparkType =
  | { kind: AtomicKind }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'array'; element: SparkType }
  | { kind: 'map'; key: SparkType; value: SparkType }
  | { kind: 'struct'; fields: StructField[] };

export interface StructField {
  name: string;
  type: SparkType;
}

export type DecimalType = Extract<SparkType, { kind: 'decimal' }>;

const atomic = (kind: AtomicKind): SparkType => ({ kind });
export const T = {
  void: atomic('void'),
  boolean: atomic('boolean'),
  tinyint: atomic('tinyint'),
  smallint: atomic('smallint'),
  int: atomic('int'),
  bigint: atomic('bigint'),
  float: atomic('float'),
  double: atomic('double'),
  string: atomic('string'),
  binary: atomic('binary'),
  date: atomic('date'),
  timestamp: atomic('timestamp'),
  timestampNtz: atomic('timestamp_ntz'),
  decimal: (precision: number, scale: number): DecimalType => ({ kind: 'decimal', precision, scale }),
  array: (element: SparkType): SparkType => ({ kind: 'array', element }),
  map: (key: SparkType, value: SparkType): SparkType => ({ kind: 'map', key, value }),
  struct: (fields: StructField[]): SparkType => ({ kind: 'struct', fields }),
};

export const MAX_PRECISION = 38;

const INTEGRAL_ORDER = ['tinyint', 'smallint', 'int', 'bigint'] as const;
type IntegralKind = (typeof INTEGRAL_ORDER)[number];

export function isIntegral(type: SparkType): boolean {
  return (INTEGRAL_ORDER as readonly string[]).includes(type.kind);
}
export function isFractional(type: SparkType): boolean {
  return type.kind === 'float' || type.kind === 'double';
}
export function isNumeric(type: SparkType): boolean {
  return isIntegral(type) || isFractional(type) || type.kind === 'decimal';
}
export function isDatetime(type: SparkType): boolean {
  return type.kind === 'date' || type.kind === 'timestamp' || type.kind === 'timestamp_ntz';
}
export function isComplex(type: SparkType): boolean {
  return type.kind === 'array' || type.kind === 'map' || type.kind === 'struct';
}

/** The decimal that holds every value of an integral type (Spark's DecimalType.forType). */
export function decimalForIntegral(type: SparkType): DecimalType | undefined {
  switch (type.kind) {
    case 'tinyint':
      return T.decimal(3, 0);
    case 'smallint':
      return T.decimal(5, 0);
    case 'int':
      return T.decimal(10, 0);
    case 'bigint':
      return T.decimal(20, 0);
    case 'decimal':
      return type;
    default:
      return undefined;
  }
}

/** True when the type is or holds a map (maps are not ordered and compare by content in Spark). */
export function containsMap(type: SparkType): boolean {
  if (type.kind === 'map') return true;
  if (type.kind === 'array') return containsMap(type.element);
  if (type.kind === 'struct') return type.fields.some((f) => containsMap(f.type));
  return false;
}

export function sameType(a: SparkType, b: SparkType): boolean {
  return typeName(a) === typeName(b);
}

/** Spark's simpleString of a type, as golden files and `typeof` print it. */
export function typeName(type: SparkType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'array':
      return `array<${typeName(type.element)}>`;
    case 'map':
      return `map<${typeName(type.key)},${typeName(type.value)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${typeName(f.type)}`).join(',')}>`;
    default:
      return type.kind;
  }
}

/** The DuckDB type that stores the Spark type exactly. */
export function duckType(type: SparkType): string {
  switch (type.kind) {
    case 'void':
      return 'INTEGER';
    case 'boolean':
      return 'BOOLEAN';
    case 'tinyint':
      return 'TINYINT';
    case 'smallint':
      return 'SMALLINT';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'string':
      return 'VARCHAR';
    case 'binary':
      return 'BLOB';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'timestamp_ntz':
      return 'TIMESTAMP';
    case 'decimal':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'array':
      return `${duckType(type.element)}[]`;
    case 'map':
      return `MAP(${duckType(type.key)}, ${duckType(type.value)})`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `"${f.name.replace(/"/g, '""')}" ${duckType(f.type)}`).join(', ')})`;
  }
}

/** Spark's bounded decimal: precision above 38 keeps the integral digits and gives up scale (at least 6). */
export function boundedDecimal(precision: number, scale: number): DecimalType {
  if (precision <= MAX_PRECISION) return T.decimal(precision, scale);
  const intDigits = precision - scale;
  const minScale = Math.min(scale, 6);
  const adjustedScale = Math.max(MAX_PRECISION - intDigits, minScale);
  return T.decimal(MAX_PRECISION, adjustedScale);
}

/** The wider of two decimals (Spark's DecimalPrecision.widerDecimalType). */
export function widerDecimal(a: DecimalType, b: DecimalType): DecimalType {
  const scale = Math.max(a.scale, b.scale);
  const range = Math.max(a.precision - a.scale, b.precision - b.scale);
  return boundedDecimal(range + scale, scale);
}

/**
 * The tightest common type of two types (Spark's findTightestCommonType plus decimal widening), used for set
 * operations, CASE/IF/COALESCE branches, IN lists and VALUES columns. Undefined when Spark has none without
 * an implicit cast from or to string, which the front does not reproduce.
 */
export function commonType(a: SparkType, b: SparkType): SparkType | undefined {
  if (sameType(a, b)) return a;
  if (a.kind === 'void') return b;
  if (b.kind === 'void') return a;
  if (isIntegral(a) && isIntegral(b)) {
    return INTEGRAL_ORDER.indexOf(a.kind as IntegralKind) >= INTEGRAL_ORDER.indexOf(b.kind as IntegralKind) ? a : b;
  }
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'double' || b.kind === 'double') return T.double;
    if (a.kind === 'float' || b.kind === 'float') {
      // float with a decimal becomes double; with an integral, float.
      return a.kind === 'decimal' || b.kind === 'decimal' ? T.double : T.float;
    }
    return widerDecimal(decimalForIntegral(a)!, decimalForIntegral(b)!);
  }
  if ((a.kind === 'date' && b.kind === 'timestamp') || (a.kind === 'timestamp' && b.kind === 'date')) return T.timestamp;
  if (a.kind === 'array' && b.kind === 'array') {
    const element = commonType(a.element, b.element);
    return element && T.array(element);
  }
  if (a.kind === 'map' && b.kind === 'map') {
    const key = commonType(a.key, b.key);
    const value = commonType(a.value, b.value);
    return key && value && T.map(key, value);
  }
  if (a.kind === 'struct' && b.kind === 'struct' && a.fields.length === b.fields.length) {
    const fields: StructField[] = [];
    for (let i = 0; i < a.fields.length; i++) {
      if (a.fields[i].name.toLowerCase() !== b.fields[i].name.toLowerCase()) return undefined;
      const type = commonType(a.fields[i].type, b.fields[i].type);
      if (!type) return undefined;
      fields.push({ name: a.fields[i].name, type });
    }
    return T.struct(fields);
  }
  return undefined;
}

/** Parses a DuckDB type name (as `duckdb_columns()` prints it) back into a Spark type; undefined if it has none. */
export function sparkTypeOfDuck(name: string): SparkType | undefined {
  const text = name.trim();
  const upper = text.toUpperCase();
  const simple: Record<string, SparkType> = {
    BOOLEAN: T.boolean,
    TINYINT: T.tinyint,
    SMALLINT: T.smallint,
    INTEGER: T.int,
    BIGINT: T.bigint,
    FLOAT: T.float,
    DOUBLE: T.double,
    VARCHAR: T.string,
    BLOB: T.binary,
    DATE: T.date,
    'TIMESTAMP WITH TIME ZONE': T.timestamp,
    TIMESTAMPTZ: T.timestamp,
    TIMESTAMP: T.timestampNtz,
  };
  if (simple[upper]) return simple[upper];
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(upper);
  if (decimal) return T.decimal(Number(decimal[1]), Number(decimal[2]));
  if (text.endsWith('[]')) {
    const element = sparkTypeOfDuck(text.slice(0, -2));
    return element && T.array(element);
  }
  const nested = /^(STRUCT|MAP)\((.*)\)$/is.exec(text);
  if (!nested) return undefined;
  const parts = splitTopLevel(nested[2]);
  if (nested[1].toUpperCase() === 'MAP') {
    const [key, value] = parts.map(sparkTypeOfDuck);
    return parts.length === 2 && key && value ? T.map(key, value) : undefined;
  }
  const fields: StructField[] = [];
  for (const part of parts) {
    const field = /^\s*("(?:[^"]|"")*"|[^\s"]+)\s+([\s\S]+)$/.exec(part);
    const type = field && sparkTypeOfDuck(field[2]);
    if (!field || !type) return undefined;
    fields.push({ name: field[1].startsWith('"') ? field[1].slice(1, -1).replace(/""/g, '"') : field[1], type });
  }
  return fields.length > 0 ? T.struct(fields) : undefined;
}

/** Splits DuckDB's `a INTEGER, b STRUCT(x VARCHAR, y INTEGER)` at the commas that are not nested or quoted. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    else if (!quoted && depth === 0 && ch === ',') {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((p) => p.trim());
}
