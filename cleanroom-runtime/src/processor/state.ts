/**
 * The clean room's authoritative state: plain JSON (no bigint, no Date: times are epoch milliseconds). In the state
 * bucket its core is committed in a root and its history (statuses, dedup keys, jobs and runs that are over) in parts
 * (runtime/state-store.ts); in a pass the history is looked up through ProcessorContext.history. Participants'
 * control tables are projections of it (see views.ts).
 */
import type { MetadataAction, ProtocolAction } from '../delta/actions';
import type { CodeLanguage, DatasetFormat, LifeCycleState, ResultState } from '../engines/engine';
import type { Effect } from './effects';

/** Format 2: a commit root with the core and references to history parts (runtime/state-store.ts); 1: one object. */
export const STATE_FORMAT_VERSION = 2;

/** Decisions kept per code in its history (older ones are dropped first). */
export const MAX_APPROVAL_HISTORY = 100;

export interface DatasetRecord {
  dataId: string;
  participant: string;
  table: string;
  description: string;
  /** Normalised gs:// URI. */
  location: string;
  format: DatasetFormat;
  /** Schema read by the clean room (Delta schemaString JSON), null when the format carries none we read. */
  schema: string | null;
  createdAt: number;
  updatedAt: number;
  eventUuid: string;
  eventsVersion: number;
}

export type ApprovalState = 'CODE_REQUEST_PENDING_APPROVAL' | 'CODE_REQUEST_APPROVED' | 'CODE_REQUEST_REJECTED';

/** One participant's approval of a code's current version. */
export interface ApproverDecision {
  at: number;
  eventUuid: string;
  reason: string | null;
}

/** One decision in a code's approval history (control.approval_decisions). */
export interface ApprovalHistoryEntry {
  at: number;
  /** The participant who decided; null for the clean room's own (a lapse, a policy change). */
  by: string | null;
  decision: 'APPROVED' | 'REJECTED' | 'REVOKED' | 'LAPSED' | 'RESET';
  versionHash: string;
  reason: string | null;
  eventUuid: string | null;
}

export interface ApprovalRecord {
  /** The code's status under the approval policy: approved once every approval it needs is given. */
  status: ApprovalState;
  /** The content hash this decision applies to. */
  hash: string;
  /** The version (content, language, default parameters: code-version.ts) it applies to; absent in older states. */
  versionHash?: string;
  reason: string | null;
  reviewedBy: string | null;
  updatedAt: number;
  eventUuid: string;
  /** Approvals of this version so far, by participant (absent in older states: the keeper's, in `reviewedBy`). */
  approvals?: Record<string, ApproverDecision>;
  /** When the version became approved (expiry counts from here). */
  approvedAt?: number;
  /** Runs started on this approval (approval.max_runs). */
  runs?: number;
  /** Why the status is what it is, when the policy says more than the status (who is awaited, a lapse). */
  note?: string;
}

export interface CodeVersion {
  hash: string;
  /** Content, language and default parameters (code-version.ts); absent in older states. */
  versionHash?: string;
  /** Clean room time the version was applied (approvals of api_version 1 compare against it). */
  appliedAt: number;
  eventUuid: string;
}

export interface CodeRecord {
  codeId: string;
  name: string;
  owner: string;
  description: string;
  language: CodeLanguage;
  pathToNotebook: string;
  /** Normalised JSON text of the default parameters. */
  defaultParameters: string;
  /** Canonical hash (sha256 of the source) of the current version. */
  hash: string;
  /** The seed notebooks' hash of the current version (sha256 of the base64 export); absent in older states. */
  seedHash?: string;
  /** The default compute size a seed notebook sent (older register_code versions); absent when none was sent. */
  defaultCompute?: string;
  /**
   * Clean room time the keeper's last seed-notebook approval or rejection of this code (its uuid is the code id) was
   * processed, accepted or refused: the seed's approval_timestamp (seed-columns.ts).
   */
  seedDecisionAt?: number;
  versions: CodeVersion[];
  approval: ApprovalRecord;
  /** Datasets (`participant.table`) the code reads: parsed from SQL, declared for notebooks; absent when unknown. */
  reads?: string[];
  /** The datasets its owner declared it reads (`--reads`), part of its version; absent when not declared. */
  declaredReads?: string[];
  /** The output column holding each row's group size (release gate, min_group_size), part of its version; absent when not declared. */
  groupSizeColumn?: string;
  /** Every decision on this code's versions, oldest first (the most recent MAX_APPROVAL_HISTORY). */
  decisions?: ApprovalHistoryEntry[];
  createdAt: number;
  updatedAt: number;
  eventUuid: string;
  eventsVersion: number;
}

export interface JobRecord {
  jobId: string;
  jobName: string;
  participant: string;
  codeId: string;
  codeName: string;
  codeOwner: string;
  /** The approved hash the job runs, pinned at submission. */
  hash: string;
  /** The approved version (content, language, default parameters) it runs; absent in older states. */
  versionHash?: string;
  language: CodeLanguage;
  /** Parameters merged over the code's defaults; includes `output`. */
  parameters: Record<string, string>;
  compute: string;
  /** "ad-hoc" (one run) or a normalised 5-field cron expression in UTC (see schedules.ts). */
  schedule: string;
  outputLocation: string;
  createdAt: number;
  eventUuid: string;
  eventsVersion: number;
  /** Scheduled jobs only (absent for ad hoc jobs and in states written before schedules existed). */
  status?: JobStatus;
  /** Why the job is in its status: the last occurrence run, skipped ones, or why it stopped. */
  statusMessage?: string;
  /** The next occurrence to run (null once stopped or deleted). */
  nextRunAt?: number | null;
  /** The latest occurrence already decided (run or skipped); later ones are due. Absent: none since createdAt. */
  lastOccurrenceAt?: number;
}

/** ACTIVE: runs on its schedule; STOPPED: by the clean room (its code changed); DELETED: by its owner. */
export type JobStatus = 'ACTIVE' | 'STOPPED' | 'DELETED';

export interface RunRecord {
  jobId: string;
  runId: string;
  engine: string;
  lifeCycleState: LifeCycleState;
  resultState: ResultState | null;
  stateMessage: string | null;
  startTime: number | null;
  endTime: number | null;
  runPageUrl: string | null;
  error: string | null;
  errorTrace: string | null;
  submittedAt: number;
  updatedAt: number;
  /** The Delta version of each dataset the run reads (`<participant>.<table>`), as checked before submission. */
  inputVersions?: Record<string, number>;
  /** Where the engine wrote the result, for the release gate (the state bucket's staging/); absent for runs before the gate. */
  stagingLocation?: string;
  /** The datasets (`participant.table`) the run could read, whose release policies apply; set with stagingLocation. */
  datasetsRead?: string[];
  /** The code's group-size column when the run was submitted (null: none declared); set with stagingLocation. */
  groupSizeColumn?: string | null;
  /** The release gate's decision, once made (runtime/release/). */
  release?: ReleaseRecord;
  /** The job principal the run held on an engine that isolates runs, and what it was granted (run-principals.ts). */
  access?: RunAccessRecord;
}

/**
 * A job principal held by one run (taken before submission, committed before anything is granted to it): what it may
 * be granted for the run, and whether that was revoked. Until revoked, no other run gets the principal.
 */
export interface RunAccessRecord {
  principal: string;
  /** `<participant>.<table>` the run may read: every grant made for it is among these. */
  reads: string[];
  /** The run's staging location (its volume), or null. */
  staging: string | null;
  takenAt: number;
  /** The engine reported the run over: its code can no longer execute, so the access can go. */
  runEnded?: true;
  /** When the engine first reported INTERNAL_ERROR: the access goes a grace period later (run-principals.ts). */
  errorSeenAt?: number;
  /** When the grants were removed and the principal became free again. */
  revokedAt?: number;
}

export type ReleaseState = 'RELEASED' | 'RELEASED_WITH_SUPPRESSION' | 'REFUSED';

export interface ReleaseRecord {
  state: ReleaseState;
  rowsSuppressed: number;
  /** The rule and the dataset that decided; never a value of the result. */
  message: string;
  /** Rows written to the output (0 when refused). */
  rowsReleased: number;
}

export type EventStatusValue = 'SUCCESS' | 'ERROR';

/** What identifies a participant's events table as last read (runtime/events-reader.ts). */
export interface EventsTableMark {
  /** `metaData.id` of the table. */
  tableId: string;
  /** Storage generation of the last processed commit file; null when the store reports none. */
  lastCommitGeneration: string | null;
  /** sha256 of that commit file: tells a copied file (new generation, same content) from a rewritten one. */
  lastCommitSha256: string | null;
  /** The table as of the last processed commit, so new commits are read without replaying the log (absent in older states). */
  shape?: EventsTableShape;
  /** The table could not be read at all and the participant was told (one ERROR row); retried once the log changes. */
  blocked?: { latest: number; generation: string | null };
}

/** The protocol and metaData (without name, description, creation time) a reader needs to read new commits. */
export interface EventsTableShape {
  protocol: ProtocolAction;
  metaData: Pick<MetadataAction, 'id' | 'format' | 'schemaString' | 'partitionColumns' | 'configuration'>;
}

export interface EventStatusRecord {
  eventUuid: string;
  eventType: string | null;
  eventsVersion: number;
  status: EventStatusValue;
  message: string;
  processedAt: number;
}

/**
 * A Delta dataset location as last checked with the runtime's reader (runtime/dataset-confinement.ts): the verdict
 * holds while the table's newest commit is the marked one, unchanged (runtime/delta-log-mark.ts).
 */
export interface DatasetCheckRecord {
  /** The newest commit when checked: version, storage generation (null when the store reports none) and size. */
  mark: { version: number; generation: string | null; size: number };
  /** Why the snapshot was refused, or null when runs may read it. */
  refused: string | null;
}

export interface PublishedFile {
  /** Path as in the table's log (relative to the table). */
  path: string;
  size: number;
}

/** A published file of rows that may still change: one shard of the live rows, with their content hash. */
export interface LiveFile extends PublishedFile {
  hash: string;
}

/** A published file of rows that never change again: entries [from, to) of each named participant's chain. */
export interface SealedFile extends PublishedFile {
  rows: number;
  ranges: Record<string, [number, number]>;
}

export interface PublishedTableRecord {
  /** The table version of the clean room's last commit. */
  version: number;
  /** Hash of the listing of the table's folder right after that commit (null: unknown, check by republishing). */
  listing: string | null;
  /** Content hash of the rows that may still change (views.ts). */
  liveHash: string;
  /**
   * The files holding those rows, by shard (runtime/live-shards.ts), each with the content hash of its rows: a pass
   * rewrites only the shards whose rows changed. Absent in records written before shards: `liveFile` is the one file.
   */
  liveFiles?: Record<string, LiveFile>;
  liveFile?: PublishedFile | null;
  /** Files of rows that never change, oldest first. */
  sealed: SealedFile[];
  /** Per chain (participant): entries published so far. */
  cursors: Record<string, number>;
  /** Files the clean room removed from the table, and the version that removed them: deleted once a checkpoint is newer. */
  removed: Array<PublishedFile & { version: number }>;
  /** A publish of the table failed midway (it may hold part of a commit): republished at the next pass. */
  failed?: true;
}

export interface CleanroomState {
  formatVersion: typeof STATE_FORMAT_VERSION;
  /** Keyed by `<participant>.<table>`: the dataset registry. */
  datasets: Record<string, DatasetRecord>;
  /** Keyed by code name (globally unique). */
  code: Record<string, CodeRecord>;
  /** Keyed by job id (= the JOB event's uuid). */
  jobs: Record<string, JobRecord>;
  /** Keyed by run key: the job id for an ad hoc job, `<job id>@<occurrence ISO time>` for a scheduled one. */
  runs: Record<string, RunRecord>;
  /** Per participant, in processing order. */
  eventStatus: Record<string, EventStatusRecord[]>;
  /** Dedup keys of every event processed (see EventBase.dedupKey). */
  processedEvents: Record<string, true>;
  /** Per participant: the last events-table version fully processed (-1: none yet). */
  eventsVersions: Record<string, number>;
  /**
   * Per participant: identity of its events table as last read (metaData id, generation of the last processed
   * commit), so a recreated table or a cleaned-up log is noticed (runtime/events-reader.ts). Absent in older states.
   */
  eventsTables?: Record<string, EventsTableMark>;
  /** Work decided but not yet done by the I/O layer; completed idempotently, then removed. */
  pendingEffects: Effect[];
  /** Runs' staging folders (gs:// URIs under the state bucket's staging/) to delete once `after` (epoch ms) has passed. */
  stagingCleanup?: Array<{ location: string; after: number }>;
  /** Per participant and published table: content hash of what was last written (states before publishedTables). */
  published: Record<string, Record<string, string>>;
  /** Per participant: code object keys already copied into its bucket. */
  publishedCode: Record<string, string[]>;
  /** Per participant: clean room time its published tables and code copies were last checked for tampering. */
  publishedCheckedAt: Record<string, number>;
  /** Fingerprint of the approval policy the approvals were last evaluated under (absent: the keeper policy). */
  approvalPolicy?: string;
  /**
   * Per participant and published table: what the clean room last committed there (runtime/publisher.ts), so a pass
   * appends what is new instead of rewriting the table (absent in older states: the next publication is whole).
   */
  publishedTables?: Record<string, Record<string, PublishedTableRecord>>;
  /** Keyed by normalised location: the last check of each registered Delta dataset (absent in older states). */
  datasetChecks?: Record<string, DatasetCheckRecord>;
}

/**
 * The record under `key`, never an inherited property: keys are names and uuids participants choose, and
 * `state.code["__proto__"]` or `state.processedEvents["constructor"]` must not find Object.prototype's members.
 */
export function recordOf<T>(records: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(records, key) ? records[key] : undefined;
}

export function emptyState(): CleanroomState {
  return {
    formatVersion: STATE_FORMAT_VERSION,
    datasets: {},
    code: {},
    jobs: {},
    runs: {},
    eventStatus: {},
    processedEvents: {},
    eventsVersions: {},
    pendingEffects: [],
    published: {},
    publishedCode: {},
    publishedCheckedAt: {},
  };
}
