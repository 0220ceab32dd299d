/**
 * Test-only ObjectStore wrapper that counts writes (createIfAbsent, put, delete) and injects one fault at the
 * N-th write:
 * - 'throw': that write fails (not applied) and the store keeps working (a transient error);
 * - 'crash-before': the process "dies" before the write: it is not applied and every later call throws;
 * - 'crash-after': the write lands, then the process "dies" before it learns so: every later call throws.
 * A dead store models a killed process: nothing it would still do can reach storage.
 */
import type { ListOptions, ListPage, ObjectStore } from '../../src/storage/object-store';

export type FaultMode = 'throw' | 'crash-before' | 'crash-after';

export interface FaultPlan {
  /** 1-based index of the write that gets the fault. */
  at: number;
  mode: FaultMode;
}

/** The simulated death of the runtime process. */
export class CrashError extends Error {
  override readonly name = 'CrashError';
}

/** A transient write failure (mode 'throw'). */
export class InjectedWriteError extends Error {
  override readonly name = 'InjectedWriteError';
}

export class FaultyStore implements ObjectStore {
  /** Writes attempted so far (including the faulted one). */
  writes = 0;
  /** Every write attempted, as "<kind> <bucket>/<key>", in order. */
  readonly writeLog: string[] = [];
  private deadSince?: string;

  constructor(private readonly inner: ObjectStore, private readonly plan?: FaultPlan) {}

  get dead(): boolean {
    return this.deadSince !== undefined;
  }

  /** Throws when the simulated process has died; other components (the engine) call it too. */
  assertAlive(): void {
    if (this.deadSince !== undefined) throw new CrashError(`the process died at ${this.deadSince}`);
  }

  async get(bucket: string, key: string): Promise<Uint8Array> {
    this.assertAlive();
    return this.inner.get(bucket, key);
  }

  async list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    this.assertAlive();
    return this.inner.list(bucket, prefix, options);
  }

  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.write('createIfAbsent', bucket, key, () => this.inner.createIfAbsent(bucket, key, data));
  }

  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.write('put', bucket, key, () => this.inner.put(bucket, key, data));
  }

  delete(bucket: string, key: string): Promise<void> {
    return this.write('delete', bucket, key, () => this.inner.delete(bucket, key));
  }

  private async write(kind: string, bucket: string, key: string, apply: () => Promise<void>): Promise<void> {
    this.assertAlive();
    const index = ++this.writes;
    const described = `${kind} ${bucket}/${key}`;
    this.writeLog.push(described);
    if (!this.plan || this.plan.at !== index) return apply();
    if (this.plan.mode === 'throw') throw new InjectedWriteError(`injected failure of write #${index} (${described})`);
    if (this.plan.mode === 'crash-after') await apply();
    this.deadSince = `write #${index} (${described}, ${this.plan.mode})`;
    throw new CrashError(`the process died at ${this.deadSince}`);
  }
}
