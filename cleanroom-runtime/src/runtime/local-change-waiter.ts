/**
 * Local watch mode reacts to a new events commit at once instead of after a fixed pause: the folders of every
 * participant's `control/events/_delta_log/` are watched (inotify on Linux, via fs.watch), and the pause between
 * passes ends at the first change. The pause still ends after `ms` at the latest, so a folder that could not be
 * watched (a participant not onboarded yet, a platform without fs.watch) only costs latency, never an event.
 */
import * as fs from 'node:fs';
import { controlTableKey } from '../control/tables';
import { localPathFor } from '../storage/local-store';

export class LocalChangeWaiter {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly localRoot: string) {}

  /** Watches the events logs of these buckets (again for folders that appeared since). */
  watchBuckets(buckets: readonly string[]): void {
    for (const bucket of buckets) {
      const dir = localPathFor(this.localRoot, bucket, `${controlTableKey('events')}/_delta_log`);
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, () => this.onChange());
        watcher.on('error', () => this.forget(dir));
        this.watchers.set(dir, watcher);
      } catch {
        // Not there yet: retried before the next pause, and the pause's timeout covers it meanwhile.
      }
    }
  }

  /** Resolves at the first change since the last call, after `ms`, or when `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.changed || signal.aborted) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.wake = done;
    });
  }

  close(): void {
    for (const dir of [...this.watchers.keys()]) this.forget(dir);
  }

  private onChange(): void {
    this.changed = true;
    this.wake?.();
  }

  private forget(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }
}
