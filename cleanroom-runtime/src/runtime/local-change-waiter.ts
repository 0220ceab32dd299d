/**
 * Local watch mode reacts to a new events commit at once instead of after a fixed pause: the folders of every
 * participant's `control/events/_delta_log/` are watched (inotify on Linux, via fs.watch), and the pause between
 * passes ends at the first change. The pause still ends after `ms` at the latest, so a folder that could not be
 * watched (a participant not onboarded yet, a platform without fs.watch) only costs latency, never an event.
 * The folder is opened through the local object store, so a link (e.g. to another participant's log) or a FIFO
 * in its place is never watched; with the descriptor walk, what is watched is exactly the folder that was opened.
 */
import * as fs from 'node:fs';
import { controlTableKey } from '../control/tables';
import { LocalObjectStore } from '../storage/local-store';

const EVENTS_LOG = `${controlTableKey('events')}/_delta_log`;

export class LocalChangeWaiter {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private changed = false;
  private wake: (() => void) | undefined;

  private readonly store: LocalObjectStore;

  constructor(localRoot: string) {
    this.store = new LocalObjectStore(localRoot);
  }

  /** Buckets whose events log is being watched. */
  get watched(): string[] {
    return [...this.watchers.keys()];
  }

  /** Watches the events logs of these buckets (again for folders that appeared since). */
  async watchBuckets(buckets: readonly string[]): Promise<void> {
    for (const bucket of buckets) {
      if (this.watchers.has(bucket)) continue;
      // Not there yet (or not a real folder): retried before the next pause, and the pause's timeout covers it meanwhile.
      const folder = await this.store.openRealFolder(bucket, EVENTS_LOG).catch(() => undefined);
      if (!folder) continue;
      try {
        const watcher = fs.watch(folder.path, () => this.onChange());
        watcher.on('error', () => this.forget(bucket));
        this.watchers.set(bucket, watcher);
      } catch {
        // Gone since it was opened: as above.
      } finally {
        await folder.close();
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
    for (const bucket of [...this.watchers.keys()]) this.forget(bucket);
  }

  private onChange(): void {
    this.changed = true;
    this.wake?.();
  }

  private forget(bucket: string): void {
    this.watchers.get(bucket)?.close();
    this.watchers.delete(bucket);
  }
}
