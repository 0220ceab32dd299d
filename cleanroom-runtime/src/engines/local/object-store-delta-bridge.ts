/** The DeltaBridge over src/delta and the local object store (`<localRoot>/gs/...`): data files are named by key. */
import { DeltaTable } from '../../delta';
import { participantTableLimits } from '../../delta/participant-limits';
import type { TableReadLimits } from '../../delta/table';
import { DEFAULT_LIMITS, type Limits } from '../../limits';
import type { Snapshot } from '../../delta/snapshot';
import type { DeltaRow, DeltaType, StructType } from '../../delta/schema-types';
import { LocalObjectStore, NotAnObjectError } from '../../storage/local-store';
import { joinKey } from '../../storage/names';
import type { DeltaBridge, DeltaSnapshotFiles } from './delta-bridge';
import type { GsLocation } from './gs-paths';
import { RunFailure } from './run-failure';

/** Data files read through src/delta for the local engine: above this, a file is refused rather than held in memory. */
export const MAX_DATASET_FILE_BYTES = 256 * 1024 * 1024;

export class ObjectStoreDeltaBridge implements DeltaBridge {
  private readonly store: LocalObjectStore;
  /** Datasets and outputs live in participants' buckets: their logs are read within the clean room's limits. */
  private readonly readLimits: TableReadLimits;

  constructor(readonly localRoot: string, limits: Limits = DEFAULT_LIMITS) {
    this.store = new LocalObjectStore(localRoot);
    const bounded = participantTableLimits(limits);
    // Data files are read by DuckDB within its memory limit, or here one at a time within the worker's heap.
    this.readLimits = { ...bounded, maxDataFileBytes: MAX_DATASET_FILE_BYTES, dataFileParquet: undefined };
  }

  async readSnapshot(location: GsLocation): Promise<DeltaSnapshotFiles> {
    const table = await DeltaTable.open(this.store, location.bucket, location.key, this.readLimits);
    const snapshot = await table.snapshot();
    return {
      schema: snapshot.schema,
      partitionColumns: snapshot.partitionColumns,
      files: snapshot.files.map((file) => ({ key: this.fileKey(location, file.path), partitionValues: file.partitionValues })),
      ...(needsReader(snapshot) ? { rowsByFile: () => rowsByFile(table, snapshot) } : {}),
    };
  }

  /** The result is written through the store only; a link in the output's path is the participant's to remove. */
  async overwrite(location: GsLocation, schema: StructType, rows: DeltaRow[]): Promise<void> {
    try {
      await this.write(location, schema, rows);
    } catch (error) {
      if (error instanceof NotAnObjectError) throw new RunFailure(`the output gs://${location.bucket}/${location.key} cannot be written: ${error.message}`);
      throw error;
    }
  }

  private async write(location: GsLocation, schema: StructType, rows: DeltaRow[]): Promise<void> {
    const table = await DeltaTable.openOrCreate(this.store, location.bucket, location.key, schema, {}, this.readLimits);
    const existing = (await table.snapshot()).schema;
    if (describe(existing) !== describe(schema)) {
      throw new RunFailure(
        `the output gs://${location.bucket}/${location.key} already holds a Delta table with other columns ` +
          `(${describe(existing)}) than this result (${describe(schema)}); write to a new output location or delete the old table`,
      );
    }
    await table.overwrite(rows, { commitInfo: { operation: 'WRITE', engine: 'cleanroom local engine' } });
  }

  /** Data files are relative to the table root, or absolute gs:// URIs in the same bucket. */
  private fileKey(location: GsLocation, filePath: string): string {
    const own = `gs://${location.bucket}/`;
    if (filePath.startsWith(own)) return filePath.slice(own.length);
    if (/^[a-z][a-z0-9+.-]*:/i.test(filePath)) {
      throw new RunFailure(`the Delta table gs://${location.bucket}/${location.key} has a data file outside its bucket (${filePath})`);
    }
    return joinKey(location.key, filePath);
  }
}

/** Deletion vectors and column mapping are applied by src/delta: DuckDB would read deleted rows and physical names. */
function needsReader(snapshot: Snapshot): boolean {
  return snapshot.columnMapping !== 'none' || snapshot.files.some((f) => f.deletionVector);
}

async function* rowsByFile(table: DeltaTable, snapshot: Snapshot): AsyncGenerator<DeltaRow[]> {
  for (const file of snapshot.files) yield await table.readSnapshotFile(snapshot, file);
}

function describe(schema: StructType): string {
  return schema.fields.map((f) => `${f.name} ${typeText(f.type)}`).join(', ');
}

function typeText(type: DeltaType): string {
  return typeof type === 'string' ? type : JSON.stringify(type);
}
