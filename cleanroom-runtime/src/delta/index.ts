/** Delta Lake tables (reader v1 / writer v2) over the ObjectStore interface. */
export { DeltaTable, ENGINE_INFO, CHECKPOINT_INTERVAL } from './table';
export type { CommitEntry, CreateTableOptions, TableReadLimits, HistoryEntry, WriteOptions } from './table';
export type { Snapshot, SnapshotFile } from './snapshot';
export type { Action, AddAction, RemoveAction, MetadataAction, ProtocolAction, TxnAction } from './actions';
export { CorruptDeltaLogError, DataFileTooLargeError, DeltaTableExistsError, DeltaTableNotFoundError, DeltaWriteError, ReadLimitError, UnsupportedDeltaFeatureError } from './errors';
export { ParquetLimitError, type ParquetLimits } from './parquet-bounds';
export { formatTimestamp, parseTimestamp } from './values';
export * from './schema-types';
