/** The list of command groups; each lives in its own file next to the code it drives. */
import type { Command } from 'commander';
import { registerConfigCommands } from './config-commands';
import { registerRuntimeCommands } from './runtime-commands';

export function registerCommands(program: Command): void {
  // Each command group adds its subcommands here, e.g. registerConfigCommands(program).
  void program;
  registerConfigCommands(program);
  registerRuntimeCommands(program);
}
