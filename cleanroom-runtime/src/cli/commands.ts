/** The list of command groups; each lives in its own file next to the code it drives. */
import type { Command } from 'commander';
import { registerConfigCommands } from './config-commands';
import { registerDemoCommand } from './demo-command';
import { registerDoctorCommand } from './doctor-command';
import { registerParticipantCommands } from './participant-commands';
import { registerRuntimeCommands } from './runtime-commands';
import { registerTableCommands } from './table-commands';

export function registerCommands(program: Command): void {
  // Each command group adds its subcommands here, e.g. registerConfigCommands(program).
  void program;
  registerConfigCommands(program);
  registerParticipantCommands(program);
  registerRuntimeCommands(program);
  registerTableCommands(program);
  registerDemoCommand(program);
  registerDoctorCommand(program);
}
