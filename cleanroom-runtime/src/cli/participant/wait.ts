/**
 * `--wait`: polls the participant's published `control/event_status` until the row of one event appears.
 * On a terminal a spinner with the elapsed time is drawn in place; otherwise a plain line now and then.
 */
import type { DeltaRow } from '../../delta';
import { tryReadPublished } from './control-tables';
import { CliError } from './errors';
import type { CliIo } from './io';
import type { ParticipantSession } from './session';

export const DEFAULT_WAIT_TIMEOUT_SECONDS = 300;
export const POLL_INTERVAL_MS = 1000;
const PLAIN_PROGRESS_EVERY_MS = 15_000;
const SPINNER = ['|', '/', '-', '\\'];

export interface EventStatus {
  status: string;
  message: string;
}

/** Parses `--timeout SECONDS` (a positive number). */
export function timeoutSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WAIT_TIMEOUT_SECONDS;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new CliError(`--timeout ${JSON.stringify(text)} must be a positive number of seconds`);
  return value;
}

export function findStatus(rows: readonly DeltaRow[], uuid: string): EventStatus | undefined {
  const row = rows.find((r) => r.event_uuid === uuid);
  if (!row) return undefined;
  return { status: String(row.status ?? ''), message: typeof row.message === 'string' ? row.message : '' };
}

export async function waitForStatus(session: ParticipantSession, uuid: string, timeoutS: number, io: CliIo, pollMs = POLL_INTERVAL_MS): Promise<EventStatus> {
  const started = io.nowMs();
  const tty = io.stderr.isTTY === true;
  let tick = 0;
  let lastPlain = started;
  if (!tty) io.stderr.write(`waiting for the clean room to process event ${uuid} (up to ${timeoutS}s)...\n`);
  const clear = (): void => {
    if (tty) io.stderr.write('\r\x1b[K');
  };
  for (;;) {
    const rows = await tryReadPublished(session, 'event_status');
    const found = rows && findStatus(rows, uuid);
    if (found) {
      clear();
      return found;
    }
    const elapsed = io.nowMs() - started;
    if (elapsed >= timeoutS * 1000) {
      clear();
      throw new CliError(
        `no status for event ${uuid} after ${Math.round(elapsed / 1000)}s: the event is saved; the runtime may not be running — ` +
          `check later with \`cleanroom status events\``,
      );
    }
    if (tty) {
      io.stderr.write(`\r${SPINNER[tick++ % SPINNER.length]} waiting for event ${uuid} (${Math.floor(elapsed / 1000)}s)`);
    } else if (io.nowMs() - lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
      lastPlain = io.nowMs();
      io.stderr.write(`still waiting for event ${uuid} (${Math.floor(elapsed / 1000)}s)\n`);
    }
    await io.sleep(Math.min(pollMs, Math.max(1, timeoutS * 1000 - elapsed)));
  }
}
