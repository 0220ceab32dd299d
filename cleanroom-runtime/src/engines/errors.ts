/** Errors every execution engine may throw and the runtime reacts to, whatever the engine. */

/**
 * The engine could not be reached or kept failing (network errors, timeouts, 429/5xx) until its retry budget ran
 * out. The runtime keeps a run in its last known state (with a note) and retries next pass: an outage is never a
 * FAILED run, and a submission that met an outage is not counted as refused.
 */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
  constructor(
    message: string,
    readonly attempts: number,
    /** HTTP status of the last attempt; undefined when it never got a response (network error, timeout). */
    readonly lastStatus?: number,
  ) {
    super(message);
  }
}

/**
 * The engine answered, definitively, that it does not know this run (Databricks forgets runs after its retention
 * period; the local engine's record was deleted). Not an outage. The runtime stops polling an active run it gets
 * this for once the run is older than the run history retention window (see runtime/effects-runner.ts).
 */
export class RunNotFoundError extends Error {
  override readonly name = 'RunNotFoundError';
  constructor(
    readonly runId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The engine will never run this spec as it is (e.g. a parameter value that would change the approved code under
 * the engine's substitution). Not an outage and not worth retrying: the runtime records a FAILED run saying why.
 */
export class RunRefusedError extends Error {
  override readonly name = 'RunRefusedError';
}

/**
 * The runtime no longer confirms the principal a submission holds (a newer state lent it on, or the run was submitted
 * by another pass): nothing was granted, nothing was started. Not a refusal: the newest state decides.
 */
export class AccessNotCurrentError extends Error {
  override readonly name = 'AccessNotCurrentError';
}
