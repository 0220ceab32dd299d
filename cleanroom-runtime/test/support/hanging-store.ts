/**
 * A store whose chosen buckets never answer (a hung request, as a broken network or a FIFO would leave it), and a
 * time-budget clock on cue, so tests of the runtime's time budgets never wait for real.
 */
import type { BudgetTimer } from '../../src/runtime/participant-io';
import type { ListOptions, ListPage, ObjectStore } from '../../src/storage/object-store';

/** The given store, except that requests to the buckets in `hanging` never answer. */
export class HangingStore implements ObjectStore {
  readonly hanging = new Set<string>();
  constructor(private readonly inner: ObjectStore) {}
  get(bucket: string, key: string): Promise<Uint8Array> {
    return this.hang(bucket) ?? this.inner.get(bucket, key);
  }
  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.hang(bucket) ?? this.inner.list(bucket, prefix, options);
  }
  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.hang(bucket) ?? this.inner.createIfAbsent(bucket, key, data);
  }
  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.hang(bucket) ?? this.inner.put(bucket, key, data);
  }
  delete(bucket: string, key: string): Promise<void> {
    return this.hang(bucket) ?? this.inner.delete(bucket, key);
  }
  private hang(bucket: string): Promise<never> | undefined {
    return this.hanging.has(bucket) ? new Promise<never>(() => undefined) : undefined;
  }
}

/** A budget clock on cue: the phases touching `bucket` run out of time at once, the others never do (no real waiting). */
export const budgetEndsFor = (bucket: string): BudgetTimer => (_ms, what) => ({
  elapsed: what.includes(`gs://${bucket}`) ? Promise.resolve() : new Promise<void>(() => undefined),
  cancel: () => undefined,
});
