/** Delta Lake tables (read: reader v1-3 with deletion vectors, column mapping, timestamp_ntz; write: writer v2) over the ObjectStore interface. */
export { DeltaTable, ENGINE_INFO, CHECKPOINT_INTERVAL } from './table';
export type { CommitEntry, CreateTableOptions, TableReadLimits, HistoryEntry, WriteOptions } from './table';
export type { Snapshot, SnapshotFile } from './snapshot';
export type { Action, AddAction, RemoveAction, MetadataAction, ProtocolAction, TxnAction } from './actions';
export {
  CorruptDeltaLogError,
  DataFileTooLargeError,
  DeltaTableExistsError,
  DeltaTableNotFoundError,
  DeltaWriteError,
  InvalidDeletionVectorError,
  ReadLimitError,
  UnsupportedDeltaFeatureError,
} from './errors';
export { ParquetLimitError, type ParquetLimits } from './parquet-bounds';
export { formatTimestamp, formatTimestampNtz, parseTimestamp } from './values';
export * from './schema-types';
