/** `cleanroom runtime …`: operator commands that run the clean room runtime (serve; tick and watch join here). */
import type { Command } from 'commander';
import { registerPassCommands } from './runtime-pass-commands';
import { registerServeCommand } from './serve-command';

export function registerRuntimeCommands(program: Command): Command {
  const runtime = program.command('runtime').description('Run the clean room runtime (operator).');
  registerServeCommand(runtime);
  registerPassCommands(runtime);
  return runtime;
}
