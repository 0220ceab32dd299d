/**
 * `--wait`: polls the participant's published `control/event_status` until the row of one event appears.
 * On a terminal a spinner with the elapsed time is drawn in place; otherwise a plain line now and then. When the
 * clean room's state can be read (locally) and has not moved a few seconds after the event was written, no pass is
 * running: that is said at once, with how to start one, instead of waiting out the timeout in silence.
 */
import type { DeltaRow } from '../../delta';
import { NotFoundError } from '../../storage/object-store';
import { EXIT } from '../exit-codes';
import { tryReadPublished } from './control-tables';
import { CliError } from './errors';
import type { CliIo } from './io';
import type { ParticipantSession } from './session';

/** After this long without a status and with the state unchanged, say that no pass seems to be running. */
export const NO_PASS_NOTICE_MS = 5_000;
/** Where the state cannot be read (a participant's credentials on the deployed clean room): a note after this long. */
export const SLOW_PASS_NOTICE_MS = 30_000;

/** A marker of the clean room's state (its latest commit); undefined when it cannot be read with these credentials. */
export type PassProbe = () => Promise<string | undefined>;

export function passProbe(session: ParticipantSession): PassProbe {
  return async () => {
    try {
      return new TextDecoder().decode(await session.store.get(session.config.stateBucket, 'state/LATEST')).trim();
    } catch (error) {
      return error instanceof NotFoundError ? 'none' : undefined;
    }
  };
}

export interface WaitProgress {
  probe?: PassProbe;
  /** The probe's answer before the event was written. */
  before?: string;
}

/** How to get a pass going, by where the clean room runs. */
export function startPassHint(session: ParticipantSession): string {
  return session.localRoot !== undefined
    ? 'start one in another terminal: `cleanroom runtime watch` (continuous) or `cleanroom runtime tick` (one pass), with the same --config and --local-root'
    : 'passes run on the clean room\'s schedule and on bucket notifications: if none comes, ask the operator (`cleanroom doctor --participant ' +
        `${session.participant.name}\` checks your bucket's notification)`;
}

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

export async function waitForStatus(session: ParticipantSession, uuid: string, timeoutS: number, io: CliIo, progress: WaitProgress = {}, pollMs = POLL_INTERVAL_MS): Promise<EventStatus> {
  const started = io.nowMs();
  const tty = io.stderr.isTTY === true;
  let tick = 0;
  let lastPlain = started;
  let noticed = false;
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
        EXIT.timeout,
      );
    }
    if (!noticed && elapsed >= NO_PASS_NOTICE_MS) {
      const now = progress.probe ? await progress.probe() : undefined;
      const stalled = now !== undefined && progress.before !== undefined && now === progress.before;
      if (stalled || (now === undefined && elapsed >= SLOW_PASS_NOTICE_MS)) {
        noticed = true;
        clear();
        io.stderr.write(
          stalled
            ? `no pass seems to be running: the clean room's state has not changed since the event was written ${Math.floor(elapsed / 1000)}s ago; ${startPassHint(session)}\n`
            : `no status after ${Math.floor(elapsed / 1000)}s: ${startPassHint(session)}\n`,
        );
      } else if (now !== undefined) noticed = true; // A pass has run since: it is on its way.
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
