/**
 * Passes continuously: one pass, then the next after `intervalMs` (an idle pass costs one list call per
 * participant, so a short interval is cheap). A failing pass is reported and retried; `signal` stops the loop
 * after the pass in progress.
 */
import { runPass, type PassOptions, type PassReport } from './run-pass';

export interface WatchOptions extends PassOptions {
  intervalMs: number;
  signal: AbortSignal;
  onReport?: (report: PassReport) => void;
  onError?: (error: Error) => void;
  /** The pause between passes (default: `intervalMs`); local watch ends it early on a new events commit. */
  pause?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called before each pass; what it returns replaces the config and engine from then on (a reloaded config). */
  beforePass?: () => Promise<Pick<PassOptions, 'config' | 'engine'>>;
}

export async function watchPasses(options: WatchOptions): Promise<number> {
  let passes = 0;
  let current: PassOptions = options;
  while (!options.signal.aborted) {
    try {
      if (options.beforePass) current = { ...current, ...(await options.beforePass()) };
      options.onReport?.(await runPass(current));
    } catch (error) {
      options.onError?.(error as Error);
    }
    passes++;
    await (options.pause ?? sleep)(options.intervalMs, options.signal);
  }
  return passes;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
