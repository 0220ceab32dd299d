/**
 * Incremental reads of a participant's `control/events` table: commits after the last processed version.
 * When nothing is new this costs exactly one list call (the log listing from the next commit's name); the
 * table is only opened when there are commits to read.
 */
import type { AddAction } from '../delta/actions';
import { mapLimit, readCommitsAfter } from '../delta/log-reader';
import { DeltaTable } from '../delta/table';
import { DeltaTableNotFoundError } from '../delta/errors';
import { controlTableKey } from '../control/tables';
import type { EventEnvelope } from '../events/event-model';
import type { ObjectStore } from '../storage/object-store';

export interface NewEvents {
  /** Last version read (unchanged when nothing is new). */
  lastVersion: number;
  envelopes: EventEnvelope[];
}

export async function readNewEvents(store: ObjectStore, participant: string, bucket: string, afterVersion: number): Promise<NewEvents> {
  const prefix = controlTableKey('events');
  const commits = await readCommitsAfter({ store, bucket, prefix }, afterVersion);
  if (commits.length === 0) return { lastVersion: afterVersion, envelopes: [] };
  const table = await DeltaTable.open(store, bucket, prefix);
  const snapshot = await table.snapshot(commits[commits.length - 1].version);
  // Commits are read a few at a time (a busy table has one small file per appended event).
  const perCommit = await mapLimit(commits, 8, async (commit) => {
    const adds = commit.actions.flatMap((action) => ('add' in action ? [action.add as AddAction] : []));
    const rows = await table.readAddedRows(adds, snapshot);
    return rows.map((row, index): EventEnvelope => ({ participant, eventsVersion: commit.version, index, row }));
  });
  return { lastVersion: commits[commits.length - 1].version, envelopes: perCommit.flat() };
}

/** True when the participant's events table exists (onboarded). */
export async function hasEventsTable(store: ObjectStore, bucket: string): Promise<boolean> {
  try {
    await DeltaTable.open(store, bucket, controlTableKey('events'));
    return true;
  } catch (error) {
    if (error instanceof DeltaTableNotFoundError) return false;
    throw error;
  }
}
