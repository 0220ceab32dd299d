/** The participant's own control tables: appending to `control/events`, reading what the runtime published. */
import { controlTableKey, type ControlTableName } from '../../control/tables';
import { DeltaTable, DeltaTableNotFoundError, type DeltaRow } from '../../delta';
import { appendEventRow } from '../../runtime/control-tables';
import { NotFoundError } from '../../storage/object-store';
import { EXIT } from '../exit-codes';
import { CliError } from './errors';
import type { ParticipantSession } from './session';

export type PublishedTable = Exclude<ControlTableName, 'events'>;

/** Appends one event row to the participant's `control/events` (created on first use); returns the Delta version. */
export async function appendEvent(session: ParticipantSession, row: DeltaRow): Promise<number> {
  return appendEventRow(session.store, session.bucket, row);
}

/** Where a published table lives, for messages. */
export function publishedLocation(session: ParticipantSession, table: PublishedTable): string {
  return `gs://${session.bucket}/${controlTableKey(table)}`;
}

/** Rows of a published table, or undefined when the runtime has not published it yet. */
export async function tryReadPublished(session: ParticipantSession, table: PublishedTable): Promise<DeltaRow[] | undefined> {
  try {
    const delta = await DeltaTable.open(session.store, session.bucket, controlTableKey(table));
    return await delta.readRows();
  } catch (error) {
    if (error instanceof DeltaTableNotFoundError) return undefined;
    throw error;
  }
}

/** Rows of a published table; a clear error when the runtime has not published it yet. */
export async function readPublished(session: ParticipantSession, table: PublishedTable): Promise<DeltaRow[]> {
  const rows = await tryReadPublished(session, table);
  if (rows === undefined) throw notPublished(session, table);
  return rows;
}

export function notPublished(session: ParticipantSession, table: PublishedTable): CliError {
  return new CliError(
    `control.${table} has not been published for ${session.participant.name} yet (nothing at ${publishedLocation(session, table)}): ` +
      'the clean room runtime writes it on its first pass — ask the operator to run it (`cleanroom runtime tick`), then try again',
    EXIT.unavailable,
  );
}

/** An object of the participant's bucket, or undefined when absent. */
export async function readObject(session: ParticipantSession, key: string): Promise<Uint8Array | undefined> {
  try {
    return await session.store.get(session.bucket, key);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
