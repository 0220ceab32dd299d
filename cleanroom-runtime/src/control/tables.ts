/**
 * The control tables, defined once. The runtime writes them (Delta tables at `control/<name>` in every
 * participant bucket) and the infrastructure's ControlCatalog construct declares them in each workspace's
 * metastore from these same definitions, so the two cannot drift apart.
 */
import { struct, type StructType } from '../delta/schema-types';

/** Written by participants (CLI or the seed's notebooks); schema exactly as the seed's. */
export const EVENTS_SCHEMA: StructType = struct([
  ['event_type', 'string'],
  ['uuid', 'string'],
  ['payload', 'string'],
  ['timestamp', 'timestamp'],
  ['user', 'string'],
  ['notebook', 'string'],
  ['hostname', 'string'],
  ['api_version', 'string'],
]);

/** Published by the runtime: each participant's view (docs/protocol.md, Visibility). */
export const DATA_SCHEMA: StructType = struct([
  ['data_id', 'string', false],
  ['participant', 'string', false],
  ['data_metastore_name', 'string', false],
  ['description', 'string'],
  ['location', 'string', false],
  ['format', 'string', false],
  ['schema', 'string'],
  ['created_at', 'timestamp'],
  ['updated_at', 'timestamp'],
  ['event_uuid', 'string'],
  ['events_version', 'long'],
]);

export const CODE_SCHEMA: StructType = struct([
  ['code_id', 'string', false],
  ['participant', 'string', false],
  ['code_name', 'string', false],
  ['description', 'string'],
  ['notebook_language', 'string'],
  ['default_parameters', 'string'],
  ['notebook_contents_hash', 'string'],
  // sha256 of content + language + default parameters: what the keeper approves (`code approve --hash`).
  ['version_hash', 'string'],
  // Datasets the code reads (participant.table, comma-separated): parsed from SQL, declared for notebooks; null: unknown.
  ['reads', 'string'],
  // The output column holding each row's group size, which the release gate compares with min_group_size; null: none.
  ['group_size_column', 'string'],
  ['stored_path', 'string'],
  ['created_at', 'timestamp'],
  ['updated_at', 'timestamp'],
  ['event_uuid', 'string'],
  ['events_version', 'long'],
  // The seed's columns, which its notebooks read (approve_code, create_job), with the seed's meanings:
  // id = code_id (what a seed approval row carries as uuid); name = code_name; participant_name = participant;
  // notebook_hash = the seed's hash (sha256 of the base64 Workspace export); default_compute = the size a seed
  // notebook sent, if any; submitted_timestamp = when the current version was submitted (clean room time).
  ['id', 'string'],
  ['name', 'string'],
  ['participant_name', 'string'],
  ['notebook_hash', 'string'],
  ['default_compute', 'string'],
  ['submitted_timestamp', 'timestamp'],
]);

export const APPROVAL_STATUS_SCHEMA: StructType = struct([
  ['code_id', 'string', false],
  ['code_name', 'string', false],
  ['participant', 'string', false],
  ['notebook_contents_hash', 'string'],
  ['version_hash', 'string'],
  ['approval_status', 'string', false],
  ['reason', 'string'],
  ['reviewed_by', 'string'],
  ['updated_at', 'timestamp'],
  ['event_uuid', 'string'],
  // Under the approval policy: who approved the current version, who is still awaited, and why.
  ['approved_by', 'string'],
  ['awaiting', 'string'],
  ['status_message', 'string'],
  // The seed's column: when the clean room last decided on this code's approval (its status set, or a seed
  // notebook's approval or rejection of it processed). approve_code lists code whose pending status is newer than
  // the keeper's last decision sent, so a refused decision puts the code back on the keeper's list.
  ['approval_timestamp', 'timestamp'],
]);

/** Every decision on a code's versions, in order: approvals, rejections, revocations, lapses, policy resets. */
export const APPROVAL_DECISIONS_SCHEMA: StructType = struct([
  ['code_id', 'string', false],
  ['code_name', 'string', false],
  ['participant', 'string', false],
  ['version_hash', 'string'],
  // APPROVED, REJECTED, REVOKED, LAPSED (expiry or run limit), RESET (the approval policy changed)
  ['decision', 'string', false],
  // The participant who decided; null for the clean room's own decisions (LAPSED, RESET).
  ['decided_by', 'string'],
  ['reason', 'string'],
  ['decided_at', 'timestamp'],
  ['event_uuid', 'string'],
]);

export const JOBS_SCHEMA: StructType = struct([
  ['job_id', 'string', false],
  ['job_name', 'string', false],
  ['participant', 'string', false],
  ['code_id', 'string'],
  ['code_name', 'string'],
  ['notebook_contents_hash', 'string'],
  ['version_hash', 'string'],
  ['parameters', 'string'],
  ['compute', 'string'],
  ['schedule', 'string'],
  ['created_at', 'timestamp'],
  ['event_uuid', 'string'],
  ['events_version', 'long'],
  // AD_HOC, or for a scheduled job ACTIVE / STOPPED (its code changed) / DELETED (by its owner).
  ['status', 'string'],
  ['status_message', 'string'],
  ['next_run_at', 'timestamp'],
]);

export const RUNS_SCHEMA: StructType = struct([
  ['run_id', 'string', false],
  ['job_id', 'string', false],
  ['job_name', 'string'],
  ['participant', 'string', false],
  ['engine', 'string'],
  ['state', 'string'],
  ['result_state', 'string'],
  ['state_message', 'string'],
  ['start_time', 'timestamp'],
  ['end_time', 'timestamp'],
  ['run_page_url', 'string'],
  ['output_location', 'string'],
  ['error', 'string'],
  ['error_trace', 'string'],
  ['updated_at', 'timestamp'],
  // The occurrence a scheduled job's run is for (null for ad hoc jobs).
  ['scheduled_for', 'timestamp'],
  // The release gate's decision on the run's result: RELEASED, RELEASED_WITH_SUPPRESSION or REFUSED (null until
  // decided, or for runs before the gate); rows left out for a group under min_group_size; what was decided and why.
  ['release_state', 'string'],
  ['rows_suppressed', 'long'],
  ['release_message', 'string'],
  // The Delta version of each dataset the run was given, as checked before submission: {"publisher.users": 3}.
  ['input_versions', 'string'],
]);

export const EVENT_STATUS_SCHEMA: StructType = struct([
  ['event_uuid', 'string', false],
  ['participant', 'string', false],
  ['event_type', 'string'],
  ['events_version', 'long'],
  ['status', 'string', false],
  ['message', 'string'],
  ['processed_at', 'timestamp'],
]);

export const CONTROL_TABLES = {
  events: EVENTS_SCHEMA,
  data: DATA_SCHEMA,
  code: CODE_SCHEMA,
  approval_status: APPROVAL_STATUS_SCHEMA,
  jobs: JOBS_SCHEMA,
  runs: RUNS_SCHEMA,
  event_status: EVENT_STATUS_SCHEMA,
  approval_decisions: APPROVAL_DECISIONS_SCHEMA,
} as const satisfies Record<string, StructType>;

export type ControlTableName = keyof typeof CONTROL_TABLES;
export const CONTROL_TABLE_NAMES = Object.keys(CONTROL_TABLES) as ControlTableName[];

/** Tables the runtime publishes (everything but the participant-written events). */
export const PUBLISHED_TABLE_NAMES: ControlTableName[] = CONTROL_TABLE_NAMES.filter((n) => n !== 'events');

/** Where a control table lives inside a participant bucket. */
export function controlTableKey(table: ControlTableName): string {
  return `control/${table}`;
}
