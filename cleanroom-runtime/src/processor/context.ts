/** Everything a decision depends on besides the state and the event: config facts, the time, pre-read facts. */
import type { ApprovalPolicy } from '../config/approval-schema';
import type { Limits } from '../limits';

export interface ParticipantInfo {
  name: string;
  role: 'keeper' | 'collaborator';
  bucket: string;
}

/** What the I/O layer found at a dataset location before the decision (see data-facts.ts). */
export interface LocationFacts {
  /** Data exists at the location (for Delta: a `_delta_log/` is present). */
  exists: boolean;
  /** Schema the clean room read (Delta schemaString or the Parquet footer as a Delta schema), if any. */
  schema?: string | null;
  /** Why the location could not be read, when it could not. */
  error?: string;
  /** Delta: the newest commit of the snapshot read (what a dataset check remembers, see DatasetCheckRecord). */
  deltaMark?: { version: number; generation: string | null; size: number };
}

/**
 * What the processor may ask about the clean room's history, which is not in the state it decides on (the runtime
 * keeps it in the state bucket, runtime/state/). Lookups are synchronous over what the runtime loaded beforehand; one
 * that needs something not loaded throws HistoryNotLoadedError, and the runtime loads it and decides the batch again.
 */
export interface HistoryLookup {
  /** True when an event with this dedup key was decided by an earlier commit. */
  isProcessed(dedupKey: string): boolean;
  /** True when a job that is over (kept in history only) has this id. */
  jobIdTaken(jobId: string): boolean;
  /** The participant's jobs of this name that are over: any ad hoc one, any deleted scheduled one. */
  finishedJobsNamed(participant: string, jobName: string): { adHoc: boolean; deleted: boolean };
}

/** A history lookup needs `key`, which the runtime has not loaded yet. */
export class HistoryNotLoadedError extends Error {
  override readonly name = 'HistoryNotLoadedError';
  constructor(readonly key: string) {
    super(`history entry ${JSON.stringify(key)} is not loaded`);
  }
}

export interface ProcessorContext {
  participants: readonly ParticipantInfo[];
  /** Compute sizes the clean room offers, e.g. ["2X-Small", ..., "4X-Large"]. */
  computeSizes: readonly string[];
  /** Clean room time, epoch milliseconds. */
  now: number;
  /** Facts about dataset locations, keyed by factsKey(location, format). */
  facts?: Readonly<Record<string, LocationFacts>>;
  /** Events stamped further than this in the future are refused (default 5 minutes). */
  maxClockSkewMs?: number;
  /** Payload field limits and per-participant quotas (default: DEFAULT_LIMITS of src/limits.ts). */
  limits?: Limits;
  /** Who approves code (cleanroom.yaml `approval:`; default: the keeper). */
  approval?: ApprovalPolicy;
  /** History not held in the state (absent: the state holds all of it, as a format 1 state does). */
  history?: HistoryLookup;
}

export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export function factsKey(location: string, format: string): string {
  return `${format}:${location}`;
}
