/**
 * How the runtime touches a participant's bucket: every table there is read with the bounds of src/limits.ts, every
 * phase of a pass that reads there runs within a time budget, and a failure is told apart by where it came from (a
 * storage request that failed: retried later; anything else: the participant's content, reported to it).
 */
import { AlreadyExistsError, NotFoundError, ObjectTooLargeError, type GetOptions, type ListOptions, type ListPage, type ObjectStore } from '../storage/object-store';

export { participantTableLimits } from '../delta/participant-limits';

/** Starts the clock of a time budget: `elapsed` resolves when `ms` have passed; `cancel` stops it. */
export type BudgetTimer = (ms: number, what: string) => { elapsed: Promise<void>; cancel: () => void };

/** The system clock (the timer does not keep the process alive). */
export const realTimer: BudgetTimer = (ms) => {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => {
    handle = setTimeout(resolve, ms);
    handle.unref?.();
  });
  return { elapsed, cancel: () => clearTimeout(handle) };
};

/** A participant's bucket did not answer within the time budget of a pass phase. */
export class ParticipantTimeoutError extends Error {
  override readonly name = 'ParticipantTimeoutError';
}

/**
 * A participant's bucket for one phase of a pass: once `budgetMs` has passed, every pending and later request fails
 * with ParticipantTimeoutError, so a bucket that never answers holds up nobody (the abandoned request is left to
 * settle on its own). `close()` when the phase is over.
 */
export class TimeBudgetStore implements ObjectStore {
  private readonly expired: Promise<never>;
  private readonly cancel: () => void;
  private timedOut?: ParticipantTimeoutError;

  constructor(private readonly inner: ObjectStore, readonly budgetMs: number, what: string, timer: BudgetTimer = realTimer) {
    const clock = timer(budgetMs, what);
    this.cancel = clock.cancel;
    this.expired = clock.elapsed.then(() => {
      this.timedOut = new ParticipantTimeoutError(`${what} took longer than ${budgetMs} ms (participant_read_timeout_ms); abandoned`);
      throw this.timedOut;
    });
    this.expired.catch(() => undefined); // observed by each race; never an unhandled rejection
  }

  close(): void {
    this.cancel();
  }

  get(bucket: string, key: string, options?: GetOptions): Promise<Uint8Array> {
    return this.race(() => this.inner.get(bucket, key, options));
  }

  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.race(() => this.inner.list(bucket, prefix, options));
  }

  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.race(() => this.inner.createIfAbsent(bucket, key, data));
  }

  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.race(() => this.inner.put(bucket, key, data));
  }

  delete(bucket: string, key: string): Promise<void> {
    return this.race(() => this.inner.delete(bucket, key));
  }

  private race<T>(request: () => Promise<T>): Promise<T> {
    if (this.timedOut) return Promise.reject(this.timedOut);
    return Promise.race([request(), this.expired]);
  }
}

/** Runs `phase` with a time-budgeted view of the store; the budget ends with the phase. */
export async function withTimeBudget<T>(store: ObjectStore, budgetMs: number, what: string, phase: (budgeted: ObjectStore) => Promise<T>, timer?: BudgetTimer): Promise<T> {
  const budgeted = new TimeBudgetStore(store, budgetMs, what, timer);
  try {
    return await phase(budgeted);
  } finally {
    budgeted.close();
  }
}

/**
 * Passes requests through, remembering the first failure other than an absent (or, for a create, present) object
 * or one above a read's `maxBytes`, which are answers, not failures, so
 * a caller can tell "storage did not answer" (retry later) from "the content is bad" (tell its owner).
 */
export class FailureWatchingStore implements ObjectStore {
  failure?: Error;

  constructor(private readonly inner: ObjectStore, private readonly readOnly = false) {}

  get(bucket: string, key: string, options?: GetOptions): Promise<Uint8Array> {
    return this.watch(this.inner.get(bucket, key, options));
  }

  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.watch(this.inner.list(bucket, prefix, options));
  }

  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.readOnly ? this.refuseWrite(bucket, key) : this.watch(this.inner.createIfAbsent(bucket, key, data));
  }

  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.readOnly ? this.refuseWrite(bucket, key) : this.watch(this.inner.put(bucket, key, data));
  }

  delete(bucket: string, key: string): Promise<void> {
    return this.readOnly ? this.refuseWrite(bucket, key) : this.watch(this.inner.delete(bucket, key));
  }

  private async watch<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof NotFoundError) && !(error instanceof AlreadyExistsError) && !(error instanceof ObjectTooLargeError)) this.failure ??= error as Error;
      throw error;
    }
  }

  /** A read-only check that tries to write is a bug, never a change to a participant's table. */
  private refuseWrite(bucket: string, key: string): Promise<void> {
    return Promise.reject(new Error(`a read-only check tried to write gs://${bucket}/${key}`));
  }
}
