/** The public, read-only view of a table version, built from the replayed state. */
import { AddAction, decodeLogPath, DeletionVectorDescriptor, MetadataAction, ProtocolAction } from './actions';
import type { ColumnMappingMode } from './column-mapping';
import { checkReadSupport } from './protocol-support';
import type { StructType } from './schema-types';
import { SnapshotState } from './snapshot-state';
import { CorruptDeltaLogError } from './errors';

export interface SnapshotFile {
  /** Decoded path relative to the table root. */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  /** `add.stats` JSON as logged, when present. */
  stats?: string;
  /** The rows of the file this logical file leaves out (deletion-vectors.ts), when it has a deletion vector. */
  deletionVector?: DeletionVectorDescriptor;
}

export interface Snapshot {
  version: number;
  protocol: ProtocolAction;
  metadata: MetadataAction;
  schema: StructType;
  partitionColumns: string[];
  /** How data files and partition values name the columns (column-mapping.ts). */
  columnMapping: ColumnMappingMode;
  files: SnapshotFile[];
}

/** Builds the public snapshot, refusing tables this reader cannot read correctly. */
export function toSnapshot(state: SnapshotState, location: string): Snapshot {
  const protocol = state.protocol!;
  const metadata = state.metadata!;
  let schema: StructType;
  try {
    schema = JSON.parse(metadata.schemaString) as StructType;
    if (schema?.type !== 'struct' || !Array.isArray(schema.fields)) throw new Error('not a struct type');
  } catch (err) {
    throw new CorruptDeltaLogError(location, `metaData.schemaString at version ${state.version} is not a valid schema (${(err as Error).message})`);
  }
  const columnMapping = checkReadSupport(location, protocol, metadata, schema);
  const files = [...state.files.values()].map(snapshotFile);
  return { version: state.version, protocol, metadata, schema, partitionColumns: metadata.partitionColumns, columnMapping, files };
}

/** The public description of a logical file from its `add` action. */
export function snapshotFile(add: AddAction): SnapshotFile {
  return {
    path: decodeLogPath(add.path),
    partitionValues: add.partitionValues,
    size: add.size,
    modificationTime: add.modificationTime,
    ...(add.stats ? { stats: add.stats } : {}),
    ...(add.deletionVector ? { deletionVector: add.deletionVector } : {}),
  };
}
