/**
 * The participant-side control tables: onboarding (folders and empty tables), appending an event, and the
 * runtime's overwrite of a published view.
 */
import { randomUUID } from 'node:crypto';
import { CONTROL_TABLES, controlTableKey, type ControlTableName } from '../control/tables';
import type { DeltaRow } from '../delta/schema-types';
import { DeltaTableExistsError } from '../delta/errors';
import { DeltaTable } from '../delta/table';
import type { ApiVersion, EventType } from '../events/event-model';
import { AlreadyExistsError, type ObjectStore } from '../storage/object-store';

/** The seed's bucket layout. */
export const PARTICIPANT_FOLDERS = ['control', 'input', 'output', 'code', 'cluster-logs', 'audit-logs'] as const;
const FOLDER_MARKER = '.cleanroom-folder';

/** Creates the folders (marker objects) and every control table, empty; safe to run again. */
export async function onboardParticipant(store: ObjectStore, bucket: string): Promise<{ created: ControlTableName[] }> {
  for (const folder of PARTICIPANT_FOLDERS) {
    try {
      await store.createIfAbsent(bucket, `${folder}/${FOLDER_MARKER}`, new Uint8Array());
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
  }
  const created: ControlTableName[] = [];
  for (const [name, schema] of Object.entries(CONTROL_TABLES) as Array<[ControlTableName, (typeof CONTROL_TABLES)[ControlTableName]]>) {
    try {
      await DeltaTable.create(store, bucket, controlTableKey(name), schema, { description: `cleanroom control.${name}` });
      created.push(name);
    } catch (error) {
      if (!(error instanceof DeltaTableExistsError)) throw error;
    }
  }
  return { created };
}

export interface NewEvent {
  eventType: EventType;
  /** JSON text (api_version 2: an object; see events/event-model.ts). */
  payload: string;
  uuid?: string;
  apiVersion?: ApiVersion;
  timestamp?: Date;
  user?: string | null;
  notebook?: string | null;
  hostname?: string | null;
}

/** Appends one event to a participant's own events table; returns its uuid and the committed version. */
export async function appendEvent(store: ObjectStore, bucket: string, event: NewEvent): Promise<{ uuid: string; version: number }> {
  const uuid = event.uuid ?? randomUUID();
  const row: DeltaRow = {
    event_type: event.eventType,
    uuid,
    payload: event.payload,
    timestamp: BigInt((event.timestamp ?? new Date()).getTime()) * 1000n,
    user: event.user ?? null,
    notebook: event.notebook ?? null,
    hostname: event.hostname ?? null,
    api_version: event.apiVersion ?? '2',
  };
  return { uuid, version: await appendEventRow(store, bucket, row) };
}

/** Appends a ready-made events row (e.g. from events/build-event.ts); returns the committed version. */
export async function appendEventRow(store: ObjectStore, bucket: string, row: DeltaRow): Promise<number> {
  const table = await DeltaTable.openOrCreate(store, bucket, controlTableKey('events'), CONTROL_TABLES.events);
  return table.append([row], { commitInfo: { cleanroomEvent: row.event_type } });
}

/** Replaces a published control table with the participant's current view; returns the committed version. */
export async function overwriteControlTable(store: ObjectStore, bucket: string, name: Exclude<ControlTableName, 'events'>, rows: DeltaRow[]): Promise<number> {
  const table = await DeltaTable.openOrCreate(store, bucket, controlTableKey(name), CONTROL_TABLES[name]);
  return table.overwrite(rows, { commitInfo: { cleanroomPublish: name } });
}
