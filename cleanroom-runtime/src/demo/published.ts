/** Reads what the runtime published in a participant's bucket, as that participant sees it. */
import { controlTableKey, type ControlTableName } from '../control/tables';
import { DeltaTableNotFoundError } from '../delta/errors';
import type { DeltaRow } from '../delta/schema-types';
import { DeltaTable } from '../delta/table';
import type { ObjectStore } from '../storage/object-store';

export type PublishedTableName = Exclude<ControlTableName, 'events'>;

export const VIEW_TABLES: readonly PublishedTableName[] = ['data', 'code', 'approval_status', 'approval_decisions', 'jobs', 'runs', 'event_status'];

/** Rows of a published control table; [] when the runtime has not published it yet. */
export async function publishedRows(store: ObjectStore, bucket: string, table: PublishedTableName): Promise<DeltaRow[]> {
  try {
    return await (await DeltaTable.open(store, bucket, controlTableKey(table))).readRows();
  } catch (error) {
    if (error instanceof DeltaTableNotFoundError) return [];
    throw error;
  }
}
