/**
 * Runs `cleanroom` participant and table commands in this process, exactly as the shell runs them (same
 * commander definitions, same code), with their output captured so the demo can indent and show it.
 */
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { registerParticipantCommands } from '../cli/participant-commands';
import type { CliIo } from '../cli/participant/io';
import { registerTableCommands } from '../cli/table-commands';

export interface CliResult {
  args: string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The error the command failed with, as `cleanroom: <message>` would print it. */
  error?: Error;
}

export interface InProcessCli {
  run(args: string[]): Promise<CliResult>;
}

/** `env` stands for the shell's environment (CLEANROOM_CONFIG_DIR, CLEANROOM_LOCAL_ROOT, CLEANROOM_USER...). */
export function inProcessCli(env: Readonly<Record<string, string>>): InProcessCli {
  return {
    async run(args) {
      let stdout = '';
      let stderr = '';
      let exitCode = 0;
      const io: CliIo = {
        env,
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        nowMs: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        newUuid: () => randomUUID(),
        hostname: () => os.hostname(),
        osUser: () => env.CLEANROOM_USER ?? 'demo',
        setExitCode: (code) => {
          exitCode = code;
        },
      };
      const program = new Command('cleanroom')
        .exitOverride()
        .configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
      registerParticipantCommands(program, io);
      registerTableCommands(program, io);
      try {
        await program.parseAsync(args, { from: 'user' });
      } catch (error) {
        return { args, stdout, stderr, exitCode: 1, error: error instanceof Error ? error : new Error(String(error)) };
      }
      return { args, stdout, stderr, exitCode };
    },
  };
}
