/**
 * The demo's view of visibility (docs/protocol.md, Visibility): how many rows of each published control table every participant
 * sees, then a few of those tables as each participant reads them with `cleanroom status`.
 */
import type { CleanroomConfig } from '../config';
import type { ObjectStore } from '../storage/object-store';
import type { DemoOutput } from './demo-output';
import { publishedRows, VIEW_TABLES, type PublishedTableName } from './published';

/** Rows of each published table per participant. */
export type VisibilityCounts = Record<string, Record<PublishedTableName, number>>;

export async function visibilityCounts(store: ObjectStore, config: CleanroomConfig): Promise<VisibilityCounts> {
  const counts: VisibilityCounts = {};
  for (const p of config.participants) {
    const row = {} as Record<PublishedTableName, number>;
    for (const table of VIEW_TABLES) row[table] = (await publishedRows(store, p.bucket, table)).length;
    counts[p.name] = row;
  }
  return counts;
}

const RULES: Record<PublishedTableName, string> = {
  data: 'keeper: all; collaborator: own + keeper\'s',
  code: 'keeper: all; collaborator: own + keeper\'s',
  approval_status: 'keeper: all; collaborator: own + keeper\'s',
  jobs: 'keeper: all; collaborator: own only',
  runs: 'keeper: all; collaborator: own only',
  event_status: 'own events only',
  approval_decisions: "keeper: all; collaborator: own code's and the code it approves",
};

export function visibilityTable(counts: VisibilityCounts, config: CleanroomConfig): string {
  // Keeper first, then the collaborators.
  const people = [...config.participants].sort((a, b) => Number(b.role === 'keeper') - Number(a.role === 'keeper'));
  const header = ['rows visible to', ...people.map((p) => `${p.name} (${p.role})`), 'rule'];
  const lines = VIEW_TABLES.map((table) => [table, ...people.map((p) => String(counts[p.name][table])), RULES[table]]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}

/** Which `cleanroom status` views the demo prints for every participant. */
const STATUS_SHOWN = ['data', 'approvals', 'runs'] as const;

export async function showViews(
  out: DemoOutput,
  store: ObjectStore,
  config: CleanroomConfig,
  runAs: (participant: string, args: string[]) => Promise<void>,
): Promise<VisibilityCounts> {
  const counts = await visibilityCounts(store, config);
  out.block(visibilityTable(counts, config));
  const people = [...config.participants].sort((a, b) => Number(b.role === 'keeper') - Number(a.role === 'keeper'));
  for (const p of people) {
    out.line();
    out.note(`--- ${p.name} (${p.role}): its own control tables, gs://${p.bucket}/control/ ---`);
    for (const view of STATUS_SHOWN) await runAs(p.name, ['status', view]);
  }
  return counts;
}
