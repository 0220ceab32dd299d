/**
 * What one local run may use. A run is a separate process (job-worker.ts), so a run over a limit ends FAILED
 * with a message naming the limit and never takes the runtime down with it.
 */
import type { SandboxLimits } from './sandbox';

export interface LocalEngineLimits extends SandboxLimits {
  /** The run is stopped after this long (DuckDB is interrupted, then the worker process is killed). */
  timeoutMs: number;
  /** The final query may return at most this many rows (the job's output). */
  maxResultRows: number;
  /** JavaScript heap of the worker process (node --max-old-space-size), in MiB. */
  workerHeapMb: number;
}

export const DEFAULT_LOCAL_ENGINE_LIMITS: LocalEngineLimits = {
  memoryLimit: '2GB',
  threads: 2,
  timeoutMs: 30 * 60 * 1000,
  maxResultRows: 1_000_000,
  workerHeapMb: 1024,
};

/** After the time limit, how long the worker gets to record its own failure before it is killed. */
export const KILL_GRACE_MS = 5_000;
