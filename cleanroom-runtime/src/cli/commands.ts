/** The list of command groups; each lives in its own file next to the code it drives. */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  // Each command group adds its subcommands here, e.g. registerConfigCommands(program).
  void program;
}
