/**
 * What this implementation reads and writes (Delta protocol, "Protocol Evolution" and "Table Features").
 * Reading: reader versions 1-3; at version 3 the reader features below; column mapping (reader version 2, or the
 * `columnMapping` feature); primitive, decimal, timestamp_ntz and nested (struct, array, map) columns.
 * Writing: writer version 2 only (no deletion vectors, no column mapping, flat primitive columns).
 * Anything beyond is refused with an error naming the feature and what to do, never read approximately.
 */
import type { ProtocolAction, MetadataAction } from './actions';
import { columnMappingMode, type ColumnMappingMode } from './column-mapping';
import { DeltaWriteError, UnsupportedDeltaFeatureError } from './errors';
import type { DeltaType, StructType } from './schema-types';

/** The protocol of tables this implementation creates, and the highest writer version it writes. */
export const WRITTEN_PROTOCOL: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };
export const MAX_READER_VERSION = 3;

/**
 * Reader features this reader implements. `vacuumProtocolCheck` asks nothing of readers ("readers don't need to
 * understand or change anything new; they just need to acknowledge the feature exists").
 */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set(['deletionVectors', 'columnMapping', 'timestampNtz', 'vacuumProtocolCheck']);

/** What the table's owner can do about a reader feature this runtime lacks (Databricks' `DROP FEATURE`). */
function remedy(feature: string): string {
  return (
    `to share this table with the clean room, remove the feature in Databricks (ALTER TABLE <table> DROP FEATURE ${feature}, ` +
    'Databricks Runtime 14.3 LTS or later) or copy the data into a table without it'
  );
}

/** Refuses a table this reader cannot read correctly; returns the column mapping mode it must read it with. */
export function checkReadSupport(location: string, protocol: ProtocolAction, metadata: MetadataAction, schema: StructType): ColumnMappingMode {
  const version = protocol.minReaderVersion;
  if (!Number.isInteger(version) || version > MAX_READER_VERSION || version < 1) {
    throw new UnsupportedDeltaFeatureError(
      location,
      `reader version ${version}`,
      `minReaderVersion=${version}; this runtime reads reader versions 1 to ${MAX_READER_VERSION}: copy the data into a table an older Delta client can read`,
    );
  }
  if (version === 3) {
    const unsupported = (protocol.readerFeatures ?? []).filter((f) => !SUPPORTED_READER_FEATURES.has(f));
    if (unsupported.length > 0) {
      throw new UnsupportedDeltaFeatureError(location, unsupported.join(', '), `readerFeatures=${JSON.stringify(protocol.readerFeatures)}; ${remedy(unsupported[0])}`);
    }
  }
  const mode = columnMappingMode(location, protocol, metadata);
  checkSchemaTypes(location, schema);
  return mode;
}

/**
 * Refuses writing a table whose protocol asks writers for more than writer version 2 (deletion vectors, column
 * mapping, any writer feature) or whose columns this writer cannot encode. Writers must respect reader features too.
 */
export function checkWriteSupport(location: string, protocol: ProtocolAction, schema: StructType): void {
  const writing = `this runtime writes only tables at reader version ${WRITTEN_PROTOCOL.minReaderVersion} and writer version ${WRITTEN_PROTOCOL.minWriterVersion} or below`;
  if (protocol.minWriterVersion > WRITTEN_PROTOCOL.minWriterVersion) {
    const features = protocol.writerFeatures ?? [];
    throw new UnsupportedDeltaFeatureError(
      location,
      features.length ? features.join(', ') : `writer version ${protocol.minWriterVersion}`,
      `minWriterVersion=${protocol.minWriterVersion}${features.length ? ` writerFeatures=${JSON.stringify(features)}` : ''}; ${writing}: write to this table from Databricks, or give the clean room a table created by this runtime`,
    );
  }
  if (protocol.minReaderVersion > WRITTEN_PROTOCOL.minReaderVersion) {
    const features = protocol.readerFeatures ?? [];
    throw new UnsupportedDeltaFeatureError(
      location,
      features.length ? features.join(', ') : `reader version ${protocol.minReaderVersion}`,
      `minReaderVersion=${protocol.minReaderVersion}; ${writing}`,
    );
  }
  checkWritableSchema(location, schema);
}

/**
 * Characters Delta refuses in column names unless column mapping is on (Spark's DELTA_INVALID_CHARACTERS_IN_COLUMN_NAMES:
 * " ,;{}()\n\t="), https://docs.databricks.com/gcp/en/delta/column-mapping.
 */
const FORBIDDEN_NAME_CHARACTERS = /[ ,;{}()\n\t=]/;

/** Decimal types Spark can hold: precision 1 to 38, scale 0 to precision. */
function decimalProblem(type: string): string | undefined {
  const m = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (!m) return undefined;
  const [precision, scale] = [Number(m[1]), Number(m[2])];
  if (precision < 1 || precision > 38) return `${type} has precision ${precision}; Spark's decimals have 1 to 38 digits`;
  if (scale > precision) return `${type} has a scale above its precision`;
  return undefined;
}

/** Columns this writer encodes: flat primitive columns (no timestamp_ntz), without invariants. */
export function checkWritableSchema(location: string, schema: StructType): void {
  for (const field of schema.fields) {
    if (FORBIDDEN_NAME_CHARACTERS.test(field.name)) {
      throw new DeltaWriteError(location, `column name ${JSON.stringify(field.name)} has a character Delta refuses without column mapping (one of ' ,;{}()\\n\\t='): give the column a plain name, e.g. with AS in SQL`);
    }
    const decimal = typeof field.type === 'string' ? decimalProblem(field.type) : undefined;
    if (decimal) throw new DeltaWriteError(location, `column ${field.name}: ${decimal}`);
    if (field.metadata && 'delta.invariants' in field.metadata) {
      throw new UnsupportedDeltaFeatureError(location, 'invariants', `column ${field.name} declares delta.invariants, which this writer does not enforce`);
    }
    if (typeof field.type !== 'string' || field.type === 'timestamp_ntz') {
      const feature = field.type === 'timestamp_ntz' ? 'timestampNtz' : `nested type ${typeName(field.type)}`;
      throw new UnsupportedDeltaFeatureError(location, feature, `column ${field.name} has type ${typeName(field.type)}, which this writer does not write`);
    }
  }
}

const PRIMITIVES = new Set(['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp', 'timestamp_ntz']);

/** Every column, nested fields included, must have a type this reader decodes exactly. */
function checkSchemaTypes(location: string, schema: StructType, path = ''): void {
  for (const field of schema.fields) {
    const name = path ? `${path}.${field.name}` : field.name;
    const problem = unsupportedType(field.type, location, name);
    if (problem) throw new UnsupportedDeltaFeatureError(location, problem, `column ${name} has type ${typeName(field.type)}`);
  }
}

function unsupportedType(type: DeltaType, location: string, path: string): string | undefined {
  if (typeof type === 'string') {
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
    if (decimal) return Number(decimal[1]) <= 38 && Number(decimal[2]) <= Number(decimal[1]) ? undefined : `type ${type}`;
    return PRIMITIVES.has(type) ? undefined : `type ${type}`;
  }
  switch (type?.type) {
    case 'struct':
      if (!Array.isArray(type.fields)) return 'a struct without fields';
      checkSchemaTypes(location, type, path);
      return undefined;
    case 'array':
      return unsupportedType(type.elementType, location, `${path}.element`);
    case 'map':
      return unsupportedType(type.keyType, location, `${path}.key`) ?? unsupportedType(type.valueType, location, `${path}.value`);
    default:
      return `type ${JSON.stringify((type as { type?: unknown } | null)?.type ?? type)}`;
  }
}

export function typeName(type: DeltaType): string {
  return typeof type === 'string' ? type : type.type;
}
