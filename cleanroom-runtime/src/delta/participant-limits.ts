/** The read limits for a Delta table in a participant's bucket, from the clean room's limits (src/limits.ts). */
import type { Limits } from '../limits';
import type { TableReadLimits } from './table';

export function participantTableLimits(limits: Limits): TableReadLimits {
  const parquet = { maxRows: limits.parquetRows, maxDecodedBytes: limits.parquetDecodedBytes };
  return {
    maxCommitBytes: limits.deltaCommitBytes,
    maxLastCheckpointBytes: limits.deltaLastCheckpointBytes,
    maxCommitsReplayed: limits.deltaCommitsReplayed,
    maxLogObjects: limits.listedObjects,
    maxCheckpointPartBytes: limits.parquetFileBytes,
    checkpointParquet: parquet,
    maxDataFileBytes: limits.parquetFileBytes,
    dataFileParquet: parquet,
  };
}

