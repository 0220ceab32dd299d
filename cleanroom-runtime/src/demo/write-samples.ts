/**
 * Writes a participant's sample dataset under its own `input/`: Delta with the runtime's Delta writer, or a
 * plain Parquet file. Existing data is left alone (the rows are deterministic, so it is the same data).
 */
import { DeltaTable } from '../delta/table';
import { DeltaTableExistsError } from '../delta/errors';
import { ENGINE_INFO } from '../delta/table';
import { encodeDataFile } from '../delta/data-file';
import { AlreadyExistsError, type ObjectStore } from '../storage/object-store';
import type { DemoDataset } from './scenario';
import type { DeltaRow } from '../delta/schema-types';

export interface WrittenSample {
  /** `input/<table>` in the participant's bucket. */
  prefix: string;
  rows: number;
  created: boolean;
}

export function samplePrefix(dataset: DemoDataset): string {
  return `input/${dataset.table}`;
}

export async function writeSample(store: ObjectStore, bucket: string, dataset: DemoDataset, rows: DeltaRow[]): Promise<WrittenSample> {
  const prefix = samplePrefix(dataset);
  if (dataset.format === 'parquet') {
    const bytes = encodeDataFile(dataset.schema, dataset.schema.fields.map((f) => f.name), rows, ENGINE_INFO);
    try {
      await store.createIfAbsent(bucket, `${prefix}/part-00000.parquet`, bytes);
      return { prefix, rows: rows.length, created: true };
    } catch (error) {
      if (error instanceof AlreadyExistsError) return { prefix, rows: rows.length, created: false };
      throw error;
    }
  }
  let table: DeltaTable;
  try {
    table = await DeltaTable.create(store, bucket, prefix, dataset.schema, { description: dataset.description });
  } catch (error) {
    if (!(error instanceof DeltaTableExistsError)) throw error;
    table = await DeltaTable.open(store, bucket, prefix);
    const existing = (await table.snapshot()).files.length;
    // A table left empty by an interrupted first run still gets its rows.
    if (existing > 0) return { prefix, rows: rows.length, created: false };
  }
  await table.append(rows, { commitInfo: { cleanroomDemo: dataset.table } });
  return { prefix, rows: rows.length, created: true };
}
