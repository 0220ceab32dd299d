/**
 * The list of command groups; each lives in its own file next to the code it drives. Registering them loads only
 * their definitions (commander and a few constants): what a command does is loaded when it runs, so `--help`,
 * `--version` and completion start about as fast as Node itself.
 */
import type { Command } from 'commander';
import { registerCompletionCommand, SHELLS } from './completion-command';
import { registerConfigCommands } from './config-commands';
import { registerDemoCommand } from './demo-command';
import { registerDoctorCommand } from './doctor-command';
import { registerParticipantCommands, STATUS_VIEW_NAMES } from './participant-commands';
import { registerRuntimeCommands } from './runtime-commands';
import { registerSqlCommand } from './sql-command';
import { registerTableCommands } from './table-commands';

export function registerCommands(program: Command): void {
  registerConfigCommands(program);
  registerParticipantCommands(program);
  registerRuntimeCommands(program);
  registerTableCommands(program);
  registerDemoCommand(program);
  registerDoctorCommand(program);
  registerSqlCommand(program);
  registerCompletionCommand(program, { status: STATUS_VIEW_NAMES, completion: SHELLS });
}
