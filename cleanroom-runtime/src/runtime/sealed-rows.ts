/**
 * The rows of published tables that never change again: every event status, and jobs and runs that are over. They come
 * from the participants' decision chains (state/decision-chains.ts) and are built by the same view as the live rows
 * (processor/views.ts), over a state holding only those records, so a sealed row is exactly the row the whole state's
 * view would hold.
 */
import type { DeltaRow } from '../delta/schema-types';
import type { ParticipantInfo } from '../processor/context';
import { emptyState, type JobRecord } from '../processor/state';
import { viewFor, type PublishedTable } from '../processor/views';
import { readChain, type ChainEntry, type RunJob } from './state/decision-chains';
import type { StateHistory } from './state-store';

const KIND: Partial<Record<PublishedTable, ChainEntry['kind']>> = { event_status: 'status', jobs: 'job', runs: 'run' };

/**
 * The chains (participants) whose entries a table of `viewer` shows — its own, or everyone's for the keeper's jobs and
 * runs — each with how far its entries of the table's kind go.
 */
export function sealedHeads(table: PublishedTable, viewer: ParticipantInfo, keeper: string, history: StateHistory): Record<string, number> {
  const kind = KIND[table];
  if (!kind) return {};
  const chains = table === 'event_status' || viewer.name !== keeper ? [viewer.name] : Object.keys(history.root.chains).sort();
  return Object.fromEntries(chains.map((chain) => [chain, history.chain(chain).kinds?.[kind] ?? 0]));
}

/** Rows of `table` for the entries of the chains in `ranges` ([from, to) per chain). */
export async function sealedRows(table: PublishedTable, viewer: ParticipantInfo, keeper: string, history: StateHistory, ranges: Readonly<Record<string, [number, number]>>): Promise<DeltaRow[]> {
  const kind = KIND[table];
  if (!kind) return [];
  const entries: ChainEntry[] = [];
  for (const [chain, [from, to]] of Object.entries(ranges).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (to <= from) continue;
    for (const entry of await readChain(history.parts, history.chain(chain), from, kind)) if (entry.n < to && entry.kind === kind) entries.push(entry);
  }
  return rowsOf(table, entries, viewer, keeper);
}

const UNUSED_JOB_FIELDS: Omit<JobRecord, keyof RunJob> = {
  codeId: '',
  codeName: '',
  codeOwner: '',
  hash: '',
  language: 'SQL',
  parameters: {},
  compute: '',
  schedule: '',
  eventUuid: '',
  eventsVersion: 0,
};

function rowsOf(table: PublishedTable, entries: readonly ChainEntry[], viewer: ParticipantInfo, keeper: string): DeltaRow[] {
  const state = emptyState();
  for (const entry of entries) {
    if (entry.kind === 'status') (state.eventStatus[viewer.name] ??= []).push(entry.status);
    else if (entry.kind === 'job') state.jobs[entry.job.jobId] = entry.job;
    else {
      // The run's row needs only these fields of its job (views.ts); the rest only fills the jobs rows, not used here.
      state.jobs[entry.job.jobId] ??= { ...UNUSED_JOB_FIELDS, ...entry.job };
      state.runs[entry.key] = entry.run;
    }
  }
  return viewFor(state, viewer, keeper)[table];
}
