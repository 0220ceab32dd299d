/** Everything a decision depends on besides the state and the event: config facts, the time, pre-read facts. */
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
}

export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export function factsKey(location: string, format: string): string {
  return `${format}:${location}`;
}
