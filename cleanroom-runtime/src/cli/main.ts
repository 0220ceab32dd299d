/** `cleanroom` CLI entry point: every command group registers itself on one commander program. */
import { Command } from 'commander';
import { registerCommands } from './commands';

const program = new Command('cleanroom')
  .description('Multi-party data clean room: configuration, Delta control tables, participant and operator commands.')
  .showHelpAfterError();
registerCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`cleanroom: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
