/**
 * `job submit --wait` after the job was accepted: follows its run in the published `control/runs` until the run
 * has ended (the run is polled by later passes, possibly seconds or hours later), within the same --timeout.
 */
import { EXIT } from '../exit-codes';
import { tryReadPublished } from './control-tables';
import { CliError } from './errors';
import type { CliIo } from './io';
import type { ParticipantSession } from './session';
import { POLL_INTERVAL_MS } from './wait';

/** Life-cycle states after which a run changes no more (the engines' TERMINATED, SKIPPED, INTERNAL_ERROR). */
export const ENDED_RUN_STATES: readonly string[] = ['TERMINATED', 'INTERNAL_ERROR', 'SKIPPED'];
const PLAIN_PROGRESS_EVERY_MS = 15_000;

export interface EndedRun {
  runId: string;
  state: string;
  resultState: string;
  stateMessage: string;
  error: string;
  runPageUrl: string;
  outputLocation: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

export async function waitForRunEnd(session: ParticipantSession, jobId: string, timeoutS: number, io: CliIo, pollMs = POLL_INTERVAL_MS): Promise<EndedRun> {
  const started = io.nowMs();
  const tty = io.stderr.isTTY === true;
  let lastState = '';
  let lastPlain = started;
  for (;;) {
    const row = (await tryReadPublished(session, 'runs'))?.find((r) => r.job_id === jobId);
    const state = text(row?.state);
    if (row && ENDED_RUN_STATES.includes(state)) {
      if (tty) io.stderr.write('\r\x1b[K');
      return {
        runId: text(row.run_id),
        state,
        resultState: text(row.result_state),
        stateMessage: text(row.state_message),
        error: text(row.error),
        runPageUrl: text(row.run_page_url),
        outputLocation: text(row.output_location),
      };
    }
    const elapsed = io.nowMs() - started;
    if (elapsed >= timeoutS * 1000) {
      if (tty) io.stderr.write('\r\x1b[K');
      throw new CliError(
        `the job ${jobId} was accepted, but its run had not ended after ${Math.round(elapsed / 1000)}s more (last state: ${state || 'not started'}): ` +
          'it goes on; follow it with `cleanroom status runs`',
        EXIT.timeout,
      );
    }
    const label = state || 'waiting to start';
    if (tty) io.stderr.write(`\r\x1b[Krun of job ${jobId}: ${label} (${Math.floor(elapsed / 1000)}s)`);
    else if (state !== lastState || io.nowMs() - lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
      lastPlain = io.nowMs();
      io.stderr.write(`run of job ${jobId}: ${label}\n`);
    }
    lastState = state;
    await io.sleep(Math.min(pollMs, Math.max(1, timeoutS * 1000 - elapsed)));
  }
}
