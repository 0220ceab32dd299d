/** The public, read-only view of a table version, built from the replayed state. */
import { decodeLogPath, MetadataAction, ProtocolAction } from './actions';
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
}

export interface Snapshot {
  version: number;
  protocol: ProtocolAction;
  metadata: MetadataAction;
  schema: StructType;
  partitionColumns: string[];
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
  checkReadSupport(location, protocol, metadata, schema);
  const files = [...state.files.values()].map((add) => ({
    path: decodeLogPath(add.path),
    partitionValues: add.partitionValues,
    size: add.size,
    modificationTime: add.modificationTime,
    ...(add.stats ? { stats: add.stats } : {}),
  }));
  return { version: state.version, protocol, metadata, schema, partitionColumns: metadata.partitionColumns, files };
}
