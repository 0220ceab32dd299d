/**
 * Runs participant commands in-process against a temporary local root and a copy of examples/: a fresh
 * commander program per call, output captured, clock and sleep under the test's control.
 */
import { Command } from 'commander';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerParticipantCommands } from '../../src/cli/participant-commands';
import type { CliIo, OutputStream } from '../../src/cli/participant/io';
import { CONTROL_TABLES, controlTableKey, type ControlTableName } from '../../src/control/tables';
import { DeltaTable, type DeltaRow } from '../../src/delta';
import { parseEvent } from '../../src/events/parse-event';
import type { CleanroomEvent } from '../../src/events/event-model';
import { LocalObjectStore } from '../../src/storage';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const BUCKETS = { publisher: 'publisher-cleanroom-data', advertiser: 'advertiser-cleanroom-data', measurement: 'measurement-cleanroom-data' } as const;
export type Participant = keyof typeof BUCKETS;
export const START_MS = Date.UTC(2024, 5, 3, 9, 0, 0);

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The error the command failed with (what main.ts prints as `cleanroom: <message>`). */
  error?: Error;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  tty?: boolean;
  /** Called on every wait poll (after the clock advanced). */
  onSleep?: (clockMs: number) => Promise<void>;
}

export class Sandbox {
  readonly store: LocalObjectStore;
  private uuidCount = 0;
  clockMs = START_MS;

  private constructor(readonly dir: string, readonly configDir: string, readonly localRoot: string) {
    this.store = new LocalObjectStore(localRoot);
  }

  static async create(): Promise<Sandbox> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-cli-'));
    const configDir = path.join(dir, 'config');
    await fs.cp(path.join(REPO_ROOT, 'examples'), configDir, { recursive: true });
    return new Sandbox(dir, configDir, path.join(dir, 'root'));
  }

  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** The uuid the next command will give its event. */
  nextUuid(): string {
    return `00000000-0000-4000-8000-${String(this.uuidCount + 1).padStart(12, '0')}`;
  }

  async writeFile(name: string, text: string): Promise<string> {
    const file = path.join(this.dir, name);
    await fs.writeFile(file, text);
    return file;
  }

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    let stdout = '';
    let stderr = '';
    let exitCode = 0;
    const out: OutputStream = { write: (t: string) => (stdout += t), isTTY: options.tty };
    const err: OutputStream = { write: (t: string) => (stderr += t), isTTY: options.tty };
    const io: CliIo = {
      env: { CLEANROOM_CONFIG_DIR: this.configDir, CLEANROOM_LOCAL_ROOT: this.localRoot, CLEANROOM_USER: 'alice@example.com', ...options.env },
      stdout: out,
      stderr: err,
      nowMs: () => this.clockMs,
      sleep: async (ms) => {
        this.clockMs += ms;
        await options.onSleep?.(this.clockMs);
      },
      newUuid: () => `00000000-0000-4000-8000-${String(++this.uuidCount).padStart(12, '0')}`,
      hostname: () => 'test-host',
      osUser: () => 'os-user',
      setExitCode: (code) => {
        exitCode = code;
      },
    };
    const program = new Command('cleanroom').exitOverride().configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
    registerParticipantCommands(program, io);
    try {
      await program.parseAsync(args, { from: 'user' });
    } catch (error) {
      return { stdout, stderr, exitCode: 1, error: error as Error };
    }
    return { stdout, stderr, exitCode };
  }

  /** Rows of a participant's events table, or [] when it does not exist. */
  async eventRows(participant: Participant): Promise<DeltaRow[]> {
    try {
      return await (await DeltaTable.open(this.store, BUCKETS[participant], controlTableKey('events'))).readRows();
    } catch {
      return [];
    }
  }

  /** The participant's events, parsed exactly as the runtime parses them (throws on a refused row). */
  async parsedEvents(participant: Participant): Promise<CleanroomEvent[]> {
    const rows = await this.eventRows(participant);
    return rows.map((row, index) => {
      const result = parseEvent({ participant, eventsVersion: 1, index, row });
      if (!result.ok) throw new Error(`parseEvent refused a CLI event: ${result.error.message}`);
      return result.event;
    });
  }

  /** Writes a control table as the runtime would publish it (appends when it exists). */
  async publish(participant: Participant, table: Exclude<ControlTableName, 'events'>, rows: DeltaRow[]): Promise<void> {
    const delta = await DeltaTable.openOrCreate(this.store, BUCKETS[participant], controlTableKey(table), CONTROL_TABLES[table]);
    await delta.append(rows);
  }

  async putObject(participant: Participant, key: string, text: string): Promise<void> {
    await this.store.put(BUCKETS[participant], key, new TextEncoder().encode(text));
  }
}

/** Microseconds of an ISO time, as Delta timestamps are stored. */
export function micros(iso: string): bigint {
  return BigInt(Date.parse(iso)) * 1000n;
}
