/**
 * Every bound on the work one participant can cause, in one place: what the runtime reads from participants' buckets
 * (bytes, rows, values, commits, time), what an event may carry, and how much each participant may register.
 * Participants own their buckets and write their events, so any of these could otherwise be made as large as a
 * participant likes and stop the clean room for everyone. Each default is documented here and in README ("Limits");
 * an operator changes one in the `limits:` section of cleanroom.yaml (snake_case names below). Pure data: any layer
 * may import it.
 */

export interface Limits {
  /** A `_delta_log/*.json` commit in a participant's bucket above this is not read. */
  readonly deltaCommitBytes: number;
  /** A `_delta_log/_last_checkpoint` above this is not read (it is only a hint: the listing decides). */
  readonly deltaLastCheckpointBytes: number;
  /** Commits replayed after the newest usable checkpoint to build a snapshot of a participant's table. */
  readonly deltaCommitsReplayed: number;
  /** Objects one listing of a participant's folder (a table's `_delta_log/`, `code/`) may return. */
  readonly listedObjects: number;
  /** A Parquet data file or checkpoint part above this (listed size) is not read. */
  readonly parquetFileBytes: number;
  /** Rows a Parquet file may declare in its footer (data files and checkpoint parts: actions). */
  readonly parquetRows: number;
  /** Memory a Parquet file may need once decoded: decompressed pages and decoded values, from its page headers. */
  readonly parquetDecodedBytes: number;
  /** Events read per participant per pass (a commit holding more is skipped); the rest wait for the next pass. */
  readonly eventsPerPass: number;
  /** Events commits read per participant per pass (together at most deltaCommitBytes); later ones wait for the next pass. */
  readonly eventsCommitsPerPass: number;
  /** Time a participant's reads may take in one pass phase; after it they fail and wait for the next pass. */
  readonly participantReadTimeoutMs: number;
  /** An event's whole payload (JSON text). */
  readonly eventPayloadBytes: number;
  /** A description or an approval's reason. */
  readonly eventDescriptionBytes: number;
  /** Parameters: a JOB's parameters or a CODE event's default parameters (JSON text). */
  readonly eventParametersBytes: number;
  /** Any other text field of a payload (names, location, format, path, compute, schedule, ids, hashes). */
  readonly eventFieldBytes: number;
  /** Code a participant may have registered at once. */
  readonly codePerParticipant: number;
  /** Datasets a participant may have registered at once. */
  readonly datasetsPerParticipant: number;
  /** Active scheduled jobs a participant may have at once. */
  readonly scheduledJobsPerParticipant: number;
  /** A dataset's schema as read by the clean room (JSON); a larger one is refused at registration. */
  readonly datasetSchemaBytes: number;
  /** Time a local run may take (the run is its own process). */
  readonly localRunTimeoutMs: number;
  /** Rows the final query of a local run may return (the job's output). */
  readonly localRunResultRows: number;
  /** Memory of a local run's DuckDB (its memory_limit). */
  readonly localRunEngineBytes: number;
  /** JavaScript heap of a local run's worker process. */
  readonly localRunHeapBytes: number;
}

export type LimitName = keyof Limits;

export interface LimitDefinition {
  readonly name: LimitName;
  /** Its key in the `limits:` section of cleanroom.yaml. */
  readonly key: string;
  readonly default: number;
  readonly unit: 'bytes' | 'rows' | 'commits' | 'objects' | 'events' | 'ms' | 'registrations' | 'jobs';
  /** Smallest value that makes sense (default 1). */
  readonly minimum?: number;
  /** What it bounds (a noun phrase, for the config schema and README). */
  readonly bounds: string;
  /** What happens to a participant that goes over it. */
  readonly whenExceeded: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMIT_DEFINITIONS: readonly LimitDefinition[] = [
  {
    name: 'deltaCommitBytes',
    key: 'delta_commit_bytes',
    default: 16 * MiB,
    unit: 'bytes',
    bounds: 'the size of one Delta commit file read from a participant bucket',
    whenExceeded: 'an events commit is skipped with one ERROR event_status; another table is refused (a published table is rewritten)',
  },
  {
    name: 'deltaLastCheckpointBytes',
    key: 'delta_last_checkpoint_bytes',
    default: 1 * MiB,
    unit: 'bytes',
    bounds: 'the size of a _delta_log/_last_checkpoint read from a participant bucket',
    whenExceeded: 'the hint is ignored and the log listing finds the checkpoint',
  },
  {
    name: 'deltaCommitsReplayed',
    key: 'delta_commits_replayed',
    default: 1000,
    unit: 'commits',
    bounds: 'the commits replayed after the newest checkpoint to build a snapshot of a participant table',
    whenExceeded: 'the table is refused with a message asking for a checkpoint (events: one ERROR event_status)',
  },
  {
    name: 'listedObjects',
    key: 'listed_objects',
    default: 20_000,
    unit: 'objects',
    bounds: "the objects one listing of a participant folder (a table's _delta_log/, code/) may return",
    whenExceeded: "a table whose log holds more is refused with a message asking to clean up its log; code copies past it are rewritten",
  },
  {
    name: 'parquetFileBytes',
    key: 'parquet_file_bytes',
    default: 64 * MiB,
    unit: 'bytes',
    bounds: 'the size of one Parquet data file or checkpoint part read from a participant bucket',
    whenExceeded: 'the file is not read: its events commit is skipped with one ERROR event_status, another table is refused',
  },
  {
    name: 'parquetRows',
    key: 'parquet_rows',
    default: 1_000_000,
    unit: 'rows',
    bounds: 'the rows one Parquet file from a participant bucket may declare (checkpoint parts: actions)',
    whenExceeded: 'the file is not decoded (checked from its footer): as for parquet_file_bytes',
  },
  {
    name: 'parquetDecodedBytes',
    key: 'parquet_decoded_bytes',
    default: 256 * MiB,
    unit: 'bytes',
    bounds: 'the memory one Parquet file from a participant bucket may need decoded (its page headers, checked before decoding)',
    whenExceeded: 'the file is not decoded: as for parquet_file_bytes',
  },
  {
    name: 'eventsPerPass',
    key: 'events_per_pass',
    default: 10_000,
    unit: 'events',
    bounds: 'the events read from one participant in one pass, and so in one commit',
    whenExceeded: 'later commits wait for the next pass, in order; a single commit holding more is skipped with one ERROR event_status',
  },
  {
    name: 'eventsCommitsPerPass',
    key: 'events_commits_per_pass',
    default: 1000,
    unit: 'commits',
    bounds: 'the events commits read from one participant in one pass (together at most delta_commit_bytes of commit files)',
    whenExceeded: 'later commits wait for the next pass, in order',
  },
  {
    name: 'participantReadTimeoutMs',
    key: 'participant_read_timeout_ms',
    default: 30_000,
    unit: 'ms',
    bounds: "the time one participant's bucket may take to answer in one pass phase (reading events and dataset locations, publishing, checking datasets)",
    whenExceeded: "its pending requests are abandoned and its events wait for the next pass (a pass error says so); other participants are served",
  },
  {
    name: 'eventPayloadBytes',
    key: 'event_payload_bytes',
    default: 2 * MiB,
    unit: 'bytes',
    bounds: "an event's whole payload",
    whenExceeded: 'the event gets an ERROR event_status',
  },
  {
    name: 'eventDescriptionBytes',
    key: 'event_description_bytes',
    default: 16 * KiB,
    unit: 'bytes',
    bounds: "a payload's description, or an approval's reason",
    whenExceeded: 'the event gets an ERROR event_status',
  },
  {
    name: 'eventParametersBytes',
    key: 'event_parameters_bytes',
    default: 64 * KiB,
    unit: 'bytes',
    bounds: "a JOB's parameters or a CODE event's default parameters",
    whenExceeded: 'the event gets an ERROR event_status',
  },
  {
    name: 'eventFieldBytes',
    key: 'event_field_bytes',
    default: 4 * KiB,
    unit: 'bytes',
    bounds: 'any other text field of a payload (names, location, format, path, compute, schedule, ids, hashes)',
    whenExceeded: 'the event gets an ERROR event_status',
  },
  {
    name: 'codePerParticipant',
    key: 'code_per_participant',
    default: 200,
    unit: 'registrations',
    bounds: 'the code one participant may have registered',
    whenExceeded: 'a CODE INSERT gets an ERROR event_status (delete code to make room)',
  },
  {
    name: 'datasetsPerParticipant',
    key: 'datasets_per_participant',
    default: 200,
    unit: 'registrations',
    bounds: 'the datasets one participant may have registered',
    whenExceeded: 'a DATA INSERT gets an ERROR event_status (delete a dataset to make room)',
  },
  {
    name: 'scheduledJobsPerParticipant',
    key: 'scheduled_jobs_per_participant',
    default: 20,
    unit: 'jobs',
    bounds: 'the active scheduled jobs of one participant',
    whenExceeded: 'a scheduled JOB gets an ERROR event_status (delete a scheduled job to make room)',
  },
  {
    name: 'datasetSchemaBytes',
    key: 'dataset_schema_bytes',
    default: 256 * KiB,
    unit: 'bytes',
    bounds: "a dataset's schema as the clean room reads it (JSON)",
    whenExceeded: 'the DATA event gets an ERROR event_status',
  },
  {
    name: 'localRunTimeoutMs',
    key: 'local_run_timeout_ms',
    default: 30 * 60 * 1000,
    unit: 'ms',
    bounds: 'the time one run of the local engine may take (each run is its own process)',
    whenExceeded: 'the run is stopped and ends TIMEDOUT, naming the limit',
  },
  {
    name: 'localRunResultRows',
    key: 'local_run_result_rows',
    default: 1_000_000,
    unit: 'rows',
    bounds: "the rows the final query of a local run may return (the job's output)",
    whenExceeded: 'the run ends FAILED, naming the limit; nothing is written',
  },
  {
    name: 'localRunEngineBytes',
    key: 'local_run_engine_bytes',
    default: 2048 * MiB,
    unit: 'bytes',
    minimum: 64 * MiB,
    bounds: "the memory of a local run's SQL engine (DuckDB memory_limit)",
    whenExceeded: "the run ends FAILED with the engine's out-of-memory error",
  },
  {
    name: 'localRunHeapBytes',
    key: 'local_run_heap_bytes',
    default: 1024 * MiB,
    unit: 'bytes',
    minimum: 32 * MiB,
    bounds: "the JavaScript heap of a local run's worker process (node --max-old-space-size)",
    whenExceeded: 'the worker dies and the run ends FAILED, naming the memory limits',
  },
];

export const DEFAULT_LIMITS: Limits = Object.freeze(Object.fromEntries(LIMIT_DEFINITIONS.map((d) => [d.name, d.default])) as unknown as Limits);

/** The defaults with the given overrides (by camelCase name); unknown names are ignored. */
export function withLimits(overrides: Partial<Limits> | undefined): Limits {
  if (!overrides) return DEFAULT_LIMITS;
  const merged: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const definition of LIMIT_DEFINITIONS) {
    const value = overrides[definition.name];
    if (value !== undefined) merged[definition.name] = value;
  }
  return Object.freeze(merged) as unknown as Limits;
}

/** `2097152 bytes (2 MiB)`-style text for messages. */
export function describeBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes} bytes (${bytes / MiB} MiB)`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes} bytes (${bytes / KiB} KiB)`;
  return `${bytes} bytes`;
}
