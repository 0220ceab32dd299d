/**
 * At most one pass at a time. A trigger that arrives while a pass runs marks the state dirty: exactly one
 * more pass runs after the current one and answers every trigger that arrived meanwhile (a pass reads all
 * new events, so one follow-up covers them all). A burst of N triggers therefore costs at most 2 passes.
 *
 * Each trigger's promise settles when a pass that started after the trigger arrived has completed, so a
 * caller's 2xx means "the events you notified about have been processed".
 */
import type { PassTrigger, PassTriggerDetail, RunPass } from './pass-trigger';

/** Notified objects carried into one pass's trigger; more are counted, not listed. */
const MAX_OBJECTS_PER_TRIGGER = 50;

interface Waiter<S> {
  resolve(summary: S): void;
  reject(error: unknown): void;
}

export class PassCoalescer<S> {
  private running: Promise<void> | undefined;
  private pending: { triggers: PassTrigger[]; waiters: Array<Waiter<S>> } | undefined;
  private passes = 0;

  constructor(private readonly runPass: RunPass<S>) {}

  /** Number of passes started so far. */
  get passCount(): number {
    return this.passes;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  request(trigger: PassTrigger): Promise<S> {
    return new Promise<S>((resolve, reject) => {
      this.pending ??= { triggers: [], waiters: [] };
      this.pending.triggers.push(trigger);
      this.pending.waiters.push({ resolve, reject });
      if (!this.running) this.startNext();
    });
  }

  /** Resolves when no pass is running or queued (used by graceful shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private startNext(): void {
    const batch = this.pending;
    this.pending = undefined;
    if (!batch) {
      this.running = undefined;
      return;
    }
    this.passes += 1;
    this.running = this.execute(batch.triggers, batch.waiters).then(() => this.startNext());
  }

  private async execute(triggers: PassTrigger[], waiters: Array<Waiter<S>>): Promise<void> {
    try {
      const summary = await this.runPass(mergeTriggers(triggers));
      for (const waiter of waiters) waiter.resolve(summary);
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** One trigger standing for several: the first one's kind, every notified object (capped), the count. */
export function mergeTriggers(triggers: readonly PassTrigger[]): PassTrigger {
  if (triggers.length === 1) return triggers[0];
  const objects = triggers.flatMap((t) => t.detail?.objects ?? []).slice(0, MAX_OBJECTS_PER_TRIGGER);
  const detail: PassTriggerDetail = { coalesced: triggers.length };
  if (objects.length > 0) detail.objects = objects;
  return { kind: triggers[0].kind, detail };
}
