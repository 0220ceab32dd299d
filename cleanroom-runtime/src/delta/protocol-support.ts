/**
 * What this implementation can read and write: reader version 1, writer version 2 (Delta protocol
 * "Protocol Evolution"). Anything beyond is refused with an error naming the feature, never read approximately.
 */
import type { ProtocolAction, MetadataAction } from './actions';
import { UnsupportedDeltaFeatureError } from './errors';
import type { DeltaType, StructType } from './schema-types';

export const READER_VERSION = 1;
export const WRITER_VERSION = 2;


export function checkReadSupport(location: string, protocol: ProtocolAction, metadata: MetadataAction, schema: StructType): void {
  if (protocol.minReaderVersion > READER_VERSION) {
    const features = protocol.readerFeatures ?? [];
    const feature = features.length ? features.join(', ') : featureOfReaderVersion(protocol.minReaderVersion, metadata);
    throw new UnsupportedDeltaFeatureError(
      location,
      feature,
      `minReaderVersion=${protocol.minReaderVersion}${features.length ? ` readerFeatures=${JSON.stringify(features)}` : ''}`,
    );
  }
  // Physical column names differ from logical ones under column mapping; a v1 reader would return nulls.
  const mapping = metadata.configuration['delta.columnMapping.mode'];
  if (mapping !== undefined && mapping !== 'none') {
    throw new UnsupportedDeltaFeatureError(location, 'columnMapping', `table property delta.columnMapping.mode=${mapping}`);
  }
  checkSchemaTypes(location, schema);
}

export function checkWriteSupport(location: string, protocol: ProtocolAction, schema: StructType): void {
  if (protocol.minWriterVersion > WRITER_VERSION) {
    const features = protocol.writerFeatures ?? [];
    throw new UnsupportedDeltaFeatureError(
      location,
      features.length ? features.join(', ') : `writer version ${protocol.minWriterVersion}`,
      `minWriterVersion=${protocol.minWriterVersion}; this runtime writes only tables with minWriterVersion <= ${WRITER_VERSION}`,
    );
  }
  for (const field of schema.fields) {
    if (field.metadata && 'delta.invariants' in field.metadata) {
      throw new UnsupportedDeltaFeatureError(location, 'invariants', `column ${field.name} declares delta.invariants, which this writer does not enforce`);
    }
  }
}

function featureOfReaderVersion(version: number, metadata: MetadataAction): string {
  if (version === 2) return metadata.configuration['delta.columnMapping.mode'] ? 'columnMapping' : 'columnMapping (reader version 2)';
  return `reader version ${version}`;
}

/** The reader returns flat rows of primitive values; nested and timestamp_ntz columns are refused. */
function checkSchemaTypes(location: string, schema: StructType): void {
  for (const field of schema.fields) {
    const problem = unsupportedType(field.type);
    if (problem) throw new UnsupportedDeltaFeatureError(location, problem, `column ${field.name} has type ${typeName(field.type)}`);
  }
}

function unsupportedType(type: DeltaType): string | undefined {
  if (typeof type === 'string') {
    if (type === 'timestamp_ntz') return 'timestampNtz';
    if (/^decimal\(\d+,\s*\d+\)$/.test(type)) return undefined;
    const known = ['string', 'long', 'integer', 'short', 'byte', 'float', 'double', 'boolean', 'binary', 'date', 'timestamp'];
    return known.includes(type) ? undefined : `type ${type}`;
  }
  return `nested type ${type.type}`;
}

export function typeName(type: DeltaType): string {
  return typeof type === 'string' ? type : type.type;
}
