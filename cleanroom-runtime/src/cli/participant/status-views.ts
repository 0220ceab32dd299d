/** What `cleanroom status <view>` shows: which published table, which columns in text form, in which order. */
import { CONTROL_TABLES } from '../../control/tables';
import type { DeltaRow, StructType } from '../../delta';
import type { PublishedTable } from './control-tables';

export interface StatusView {
  table: PublishedTable;
  schema: StructType;
  /** Columns of the text table (JSON output has all); free text last, where it is never cut. */
  columns: readonly string[];
  /** Rows are ordered by this column (oldest first), then by the first column. */
  orderBy: string;
}

export const STATUS_VIEWS = {
  data: { table: 'data', columns: ['data_metastore_name', 'participant', 'format', 'location', 'updated_at', 'description'], orderBy: 'data_metastore_name' },
  code: { table: 'code', columns: ['code_name', 'participant', 'notebook_language', 'version_hash', 'updated_at', 'description'], orderBy: 'code_name' },
  approvals: {
    table: 'approval_status',
    columns: ['code_name', 'participant', 'approval_status', 'version_hash', 'reviewed_by', 'updated_at', 'reason'],
    orderBy: 'code_name',
  },
  jobs: {
    table: 'jobs',
    columns: ['job_name', 'job_id', 'code_name', 'compute', 'schedule', 'status', 'next_run_at', 'created_at', 'parameters', 'status_message'],
    orderBy: 'created_at',
  },
  runs: {
    table: 'runs',
    columns: ['job_name', 'run_id', 'state', 'result_state', 'release_state', 'rows_suppressed', 'start_time', 'end_time', 'run_page_url', 'release_message', 'error'],
    orderBy: 'start_time',
  },
  events: { table: 'event_status', columns: ['event_uuid', 'event_type', 'status', 'processed_at', 'message'], orderBy: 'events_version' },
} as const satisfies Record<string, { table: PublishedTable; columns: readonly string[]; orderBy: string }>;

export type StatusViewName = keyof typeof STATUS_VIEWS;
export const STATUS_VIEW_NAMES = Object.keys(STATUS_VIEWS) as StatusViewName[];

export function statusView(name: StatusViewName): StatusView {
  const view = STATUS_VIEWS[name];
  return { ...view, schema: CONTROL_TABLES[view.table] };
}

/** Sorted copy: by the view's order column (nulls first), then the first column. */
export function sortRows(rows: readonly DeltaRow[], view: StatusView): DeltaRow[] {
  const first = view.columns[0];
  return [...rows].sort((a, b) => compare(a[view.orderBy], b[view.orderBy]) || compare(a[first], b[first]));
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
