/**
 * Test-only ObjectStore wrapper (the shared InstrumentedStore) that logs writes (createIfAbsent, put, delete) and
 * injects one fault at the N-th write:
 * - 'throw': that write fails (not applied) and the store keeps working (a transient error);
 * - 'crash-before': the process "dies" before the write: it is not applied and every later call throws;
 * - 'crash-after': the write lands, then the process "dies" before it learns so: every later call throws.
 * A dead store models a killed process: nothing it would still do can reach storage.
 */
import type { ObjectStore } from '../../src/storage/object-store';
import { InstrumentedStore, type WriteRequest } from '../support/instrumented-store';

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

/** The shared instrumented store, with the fault plan as its hooks. */
export class FaultyStore extends InstrumentedStore {
  /** Every write attempted, as "<kind> <bucket>/<key>", in order. */
  readonly writeLog: string[] = [];
  private deadSince?: string;

  constructor(inner: ObjectStore, private readonly plan?: FaultPlan) {
    super(inner);
    this.beforeRequest = () => this.assertAlive();
    this.onWrite = (write, apply) => this.fault(write, apply);
  }

  get dead(): boolean {
    return this.deadSince !== undefined;
  }

  /** Throws when the simulated process has died; other components (the engine) call it too. */
  assertAlive(): void {
    if (this.deadSince !== undefined) throw new CrashError(`the process died at ${this.deadSince}`);
  }

  private async fault({ kind, bucket, key }: WriteRequest, apply: () => Promise<void>): Promise<void> {
    const index = this.writes(); // attempts so far, this one included (a dead store refuses before counting)
    const described = `${kind} ${bucket}/${key}`;
    this.writeLog.push(described);
    if (!this.plan || this.plan.at !== index) return apply();
    if (this.plan.mode === 'throw') throw new InjectedWriteError(`injected failure of write #${index} (${described})`);
    if (this.plan.mode === 'crash-after') await apply();
    this.deadSince = `write #${index} (${described}, ${this.plan.mode})`;
    throw new CrashError(`the process died at ${this.deadSince}`);
  }
}
