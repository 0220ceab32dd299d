/**
 * What participant commands touch outside their arguments: environment, output streams, clock, ids and the exit
 * code. Injected so the commands run in-process in tests exactly as they run from a shell.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { processStdinReader } from './stdin';

export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal: progress is drawn in place; otherwise plain lines. */
  isTTY?: boolean;
}

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: OutputStream;
  stderr: OutputStream;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  newUuid(): string;
  hostname(): string;
  /** OS user name; `CLEANROOM_USER` overrides it. */
  osUser(): string;
  setExitCode(code: number): void;
  /** Reads standard input (for `-` as --file or a JSON option); absent where there is none (the demo, tests). */
  readStdin?(maxBytes: number, what: string): Promise<string>;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    nowMs: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    newUuid: () => randomUUID(),
    hostname: () => os.hostname(),
    osUser: () => {
      try {
        return os.userInfo().username;
      } catch {
        return 'unknown';
      }
    },
    setExitCode: (code) => {
      process.exitCode = code;
    },
    readStdin: processStdinReader(),
  };
}

/** The width text tables must fit: the terminal's columns, else $COLUMNS, else none (a file or a pipe). */
export function terminalWidth(io: CliIo): number | undefined {
  const columns = (io.stdout as { columns?: number }).columns ?? Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}
