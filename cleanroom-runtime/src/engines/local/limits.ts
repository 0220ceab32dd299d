/**
 * What one local run may use. A run is a separate process (job-worker.ts), so a run over a limit ends FAILED
 * with a message naming the limit and never takes the runtime down with it.
 */
import { DEFAULT_LIMITS, type Limits } from '../../limits';
import type { SandboxLimits } from './sandbox';

export interface LocalEngineLimits extends SandboxLimits {
  /** The run is stopped after this long (DuckDB is interrupted, then the worker process is killed). */
  timeoutMs: number;
  /** The final query may return at most this many rows (the job's output). */
  maxResultRows: number;
  /** JavaScript heap of the worker process (node --max-old-space-size), in MiB. */
  workerHeapMb: number;
}

/** A run's limits from the clean room's limits (cleanroom.yaml `limits:`; src/limits.ts). */
export function localEngineLimits(limits: Limits = DEFAULT_LIMITS, threads = 2): LocalEngineLimits {
  return {
    memoryLimit: `${Math.max(1, Math.floor(limits.localRunEngineBytes / (1024 * 1024)))}MiB`,
    threads,
    timeoutMs: limits.localRunTimeoutMs,
    maxResultRows: limits.localRunResultRows,
    workerHeapMb: Math.max(1, Math.floor(limits.localRunHeapBytes / (1024 * 1024))),
  };
}

export const DEFAULT_LOCAL_ENGINE_LIMITS: LocalEngineLimits = localEngineLimits();

/** After the time limit, how long the worker gets to record its own failure before it is killed. */
export const KILL_GRACE_MS = 5_000;
