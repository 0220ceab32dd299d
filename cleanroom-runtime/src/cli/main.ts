/** `cleanroom` CLI entry point: every command group registers itself on one commander program. */
import { Command } from 'commander';
import { registerCommands } from './commands';

// A reader that stops early (`cleanroom table show … | head`) closes the pipe: that ends the output, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

const program = new Command('cleanroom')
  .description('Multi-party data clean room: configuration, Delta control tables, participant and operator commands.')
  .showHelpAfterError();
registerCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`cleanroom: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
