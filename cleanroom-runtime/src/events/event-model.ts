/**
 * The parsed, validated form of one `control.events` row.
 *
 * api_version "1" is what the seed's notebooks write: payload = JSON of the widget dict plus enrichments; for
 * approvals the row's `uuid` is the code id and the payload is a JSON string holding the reason.
 * api_version "2" is what the cleanroom CLI writes: the same fields plus explicit ones (approvals carry
 * `{ code_id, code_name, notebook_contents_hash, version_hash, reason }` and a fresh event uuid; notebook_contents is the
 * plain source text instead of the Workspace export's base64).
 */
import type { DeltaRow } from '../delta/schema-types';

export const EVENT_TYPES = ['DATA', 'CODE', 'CODE_REQUEST_APPROVED', 'CODE_REQUEST_REJECTED', 'JOB'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const API_VERSIONS = ['1', '2'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

export const ACTIONS = ['INSERT', 'UPDATE', 'DELETE'] as const;
export type Action = (typeof ACTIONS)[number];

/** One events row as read, plus where it came from. `participant` is resolved from the bucket, never the payload. */
export interface EventEnvelope {
  participant: string;
  /** Delta version of the participant's events table the row was committed in. */
  eventsVersion: number;
  /** Position of the row inside that commit (orders rows of one commit). */
  index: number;
  row: DeltaRow;
  /** Set when the commit's rows could not be read (e.g. too large): the row is empty and this says why. */
  unreadable?: string;
  /** The event_status id of an unreadable commit or table (unique among the participant's rows). */
  syntheticId?: string;
}

export interface EventBase {
  /** The row's uuid column (for v1 approvals: the code id). */
  uuid: string;
  /** Identity for duplicate detection: `<participant>/<uuid>` (v1 approvals, whose uuid is the code id, add their type and time). */
  dedupKey: string;
  apiVersion: ApiVersion;
  /** Event time written by the submitter, epoch milliseconds. */
  timestampMs: number;
  user: string | null;
  participant: string;
  eventsVersion: number;
}

export interface DataEvent extends EventBase {
  type: 'DATA';
  action: Action;
  dataMetastoreName: string;
  /** Null when the payload has no `description`: an UPDATE keeps the stored one, an INSERT stores "". */
  description: string | null;
  location: string;
  format: string;
}

export interface CodeEvent extends EventBase {
  type: 'CODE';
  action: Action;
  codeName: string;
  /** Null when the payload has no `description`: an UPDATE keeps the stored one, an INSERT stores "". */
  description: string | null;
  pathToNotebook: string;
  /** JSON object text; null when the payload has none: an UPDATE keeps the stored defaults, an INSERT stores {}. */
  defaultParameters: string | null;
  notebookContents: string | null;
  notebookContentsHash: string | null;
  notebookLanguage: string | null;
  /** Datasets the code reads, as declared (`participant.table`, comma-separated); null when not declared. */
  reads: string | null;
  /** The output column holding each row's group size (the release gate's min_group_size); null when not sent. */
  groupSizeColumn: string | null;
  /** A default compute size (older seed notebooks send one); null when absent. */
  defaultCompute: string | null;
}

export interface ApprovalEvent extends EventBase {
  type: 'CODE_REQUEST_APPROVED' | 'CODE_REQUEST_REJECTED';
  codeId: string | null;
  codeName: string | null;
  /** The content hash the keeper reviewed (api_version 2 only; informative: it does not cover language or defaults). */
  reviewedHash: string | null;
  /** The version hash the keeper reviewed: content, language and default parameters (api_version 2 only). */
  reviewedVersionHash: string | null;
  /** A rejection that only withdraws the submitter's own approval (api_version 2 `revoke: true`). */
  revoke: boolean;
  reason: string;
}

export interface JobEvent extends EventBase {
  type: 'JOB';
  /** INSERT when the payload has no `action` (the seed's JOB payload has none); DELETE stops a scheduled job. */
  action: Action;
  jobName: string;
  /** Empty for DELETE. */
  codeName: string;
  parameters: string;
  /** Empty for DELETE. */
  compute: string;
  schedule: string;
}

export type CleanroomEvent = DataEvent | CodeEvent | ApprovalEvent | JobEvent;

/** A row that could not be parsed; still gets exactly one event_status row. */
export interface UnparsableEvent {
  uuid: string;
  /** Null when the row has no usable uuid (duplicate detection is then skipped). */
  dedupKey: string | null;
  eventType: string | null;
  message: string;
}
