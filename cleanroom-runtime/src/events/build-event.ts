/**
 * Builds api_version "2" `control.events` rows as the cleanroom CLI writes them (the seed's schema: docs/protocol.md, Events).
 * Pure: the caller supplies the uuid, the time and who/where, so the rows are reproducible in tests and every
 * row built here is accepted by `parseEvent`.
 */
import type { DeltaRow } from '../delta/schema-types';
import type { Action, EventType } from './event-model';

export const CLI_API_VERSION = '2';
export const CLI_NOTEBOOK = 'cleanroom-cli';

/** Who wrote an event, when, and under which id. */
export interface EventOrigin {
  /** Fresh random UUID of the event. */
  uuid: string;
  /** Event time, epoch milliseconds. */
  nowMs: number;
  user: string;
  hostname: string;
}

export interface DataRequest {
  action: Action;
  /** `<participant>.<table>` */
  dataMetastoreName: string;
  /** Omitted from the payload when undefined: an UPDATE then keeps the stored description. */
  description?: string;
  /** Required for INSERT and UPDATE. */
  location?: string;
  format?: string;
}

export interface CodeRequest {
  action: Action;
  codeName: string;
  /** Omitted from the payload when undefined: an UPDATE then keeps the stored description. */
  description?: string;
  /** File name the code came from (its extension tells the language). */
  pathToNotebook: string;
  /** JSON object text; omitted when undefined: an UPDATE then keeps the stored defaults. */
  defaultParameters?: string;
  /** Plain source text (api_version 2); absent for DELETE. */
  notebookContents?: string;
  /** sha256 hex of the UTF-8 source. */
  notebookContentsHash?: string;
  notebookLanguage?: string;
  /** Datasets the code reads (`participant.table`, comma-separated): required of notebooks under the data_owners policy. */
  reads?: string;
  /** The output column holding each row's group size, checked against the release policies' min_group_size. */
  groupSizeColumn?: string;
}

export interface ApprovalRequest {
  decision: 'CODE_REQUEST_APPROVED' | 'CODE_REQUEST_REJECTED';
  codeName: string;
  /** The code id from control.approval_status, when known (pins the decision to that registration). */
  codeId?: string;
  /** The version hash the keeper reviewed (content, language and default parameters). */
  versionHash: string;
  /** A rejection that only withdraws the submitter's own approval. */
  revoke?: boolean;
  /** The content sha256 of that version, when known (informative; the version hash decides). */
  notebookContentsHash?: string;
  reason: string;
}

export interface JobRequest {
  /** Absent: INSERT (no `action` field, as the seed writes JOB events). */
  action?: 'INSERT' | 'DELETE';
  jobName: string;
  codeName: string;
  /** JSON object text. */
  parameters: string;
  compute: string;
  schedule?: string;
}

export interface BuiltEvent {
  uuid: string;
  eventType: EventType;
  row: DeltaRow;
}

export function buildDataEvent(request: DataRequest, origin: EventOrigin): BuiltEvent {
  return toRow('DATA', definedFields({
    data_metastore_name: request.dataMetastoreName,
    action: request.action,
    description: request.description,
    location: request.location,
    format: request.format,
  }), origin);
}

export function buildCodeEvent(request: CodeRequest, origin: EventOrigin): BuiltEvent {
  return toRow('CODE', definedFields({
    code_name: request.codeName,
    path_to_notebook: request.pathToNotebook,
    action: request.action,
    description: request.description,
    default_parameters: request.defaultParameters,
    notebook_contents: request.notebookContents,
    notebook_contents_hash: request.notebookContentsHash,
    notebook_language: request.notebookLanguage,
    reads: request.reads,
    group_size_column: request.groupSizeColumn,
  }), origin);
}

export function buildApprovalEvent(request: ApprovalRequest, origin: EventOrigin): BuiltEvent {
  return toRow(request.decision, definedFields({
    code_name: request.codeName,
    version_hash: request.versionHash,
    notebook_contents_hash: request.notebookContentsHash,
    reason: request.reason,
    code_id: request.codeId,
    revoke: request.revoke ? 'true' : undefined,
  }), origin);
}

export function buildJobEvent(request: JobRequest, origin: EventOrigin): BuiltEvent {
  return toRow('JOB', definedFields({
    job_name: request.jobName,
    code_name: request.codeName,
    parameters: request.parameters,
    compute: request.compute,
    schedule: request.schedule ?? 'ad-hoc',
    action: request.action,
  }), origin);
}

/** Stops the participant's scheduled job of that name (JOB with action DELETE). */
export function buildJobDeleteEvent(jobName: string, origin: EventOrigin): BuiltEvent {
  return toRow('JOB', { job_name: jobName, action: 'DELETE' }, origin);
}

/** The payload without its undefined fields (left out, an UPDATE keeps the stored value), in the order given. */
function definedFields(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((field): field is [string, string] => field[1] !== undefined));
}

function toRow(eventType: EventType, payload: Record<string, string>, origin: EventOrigin): BuiltEvent {
  return {
    uuid: origin.uuid,
    eventType,
    row: {
      event_type: eventType,
      uuid: origin.uuid,
      payload: JSON.stringify(payload),
      // Delta timestamps are microseconds since the epoch.
      timestamp: BigInt(Math.trunc(origin.nowMs)) * 1000n,
      user: origin.user,
      notebook: CLI_NOTEBOOK,
      hostname: origin.hostname,
      api_version: CLI_API_VERSION,
    },
  };
}
