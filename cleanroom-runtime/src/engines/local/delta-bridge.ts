/**
 * What the local engine needs from the Delta Lake implementation (src/delta): the files of a table's current
 * snapshot, to load it into the sandbox, and an overwrite, to write a run's result.
 */
import type { DeltaRow, StructType } from '../../delta/schema-types';
import type { GsLocation } from './gs-paths';

export interface DeltaSnapshotFile {
  /** Object key of the Parquet data file, in the table's bucket. */
  key: string;
  /** Delta `partitionValues`: serialised strings, null for a null partition value. */
  partitionValues: Record<string, string | null>;
}

export interface DeltaSnapshotFiles {
  schema: StructType;
  partitionColumns: string[];
  files: DeltaSnapshotFile[];
  /**
   * Present when the files alone do not give the table's rows (deletion vectors leave rows out, column mapping
   * names columns by physical name or field id): the rows as src/delta reads them, one data file at a time.
   */
  rowsByFile?: () => AsyncIterable<DeltaRow[]>;
}

export interface DeltaBridge {
  readSnapshot(location: GsLocation): Promise<DeltaSnapshotFiles>;
  /** Replaces the table's rows (creating the table when absent) in one commit. */
  overwrite(location: GsLocation, schema: StructType, rows: DeltaRow[]): Promise<void>;
}
