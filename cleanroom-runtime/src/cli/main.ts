/**
 * `cleanroom` CLI entry point: builds the program, runs the command, and turns what happened into an exit code
 * (exit-codes.ts). Errors are one line `cleanroom: <message>` on stderr, never a stack trace.
 */
import type { Command } from 'commander';
import { EXIT } from './exit-codes';
import { describeFailure } from './failure';
import { buildProgram } from './program';
import { streamStyler } from './style';

// A reader that stops early (`cleanroom table show … | head`) closes the pipe: that ends the output, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

/**
 * A group named without a subcommand (`cleanroom`, `cleanroom data`): its help on stdout, exit 0. Anything else is
 * for commander to parse.
 */
function groupWithoutSubcommand(program: Command, args: readonly string[]): Command | undefined {
  const words = args.filter((a) => a !== '--no-color');
  let command = program;
  for (const word of words) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) return undefined;
    command = sub;
  }
  return command.commands.length > 0 ? command : undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  // Decided before any output, help included: commander and every command read NO_COLOR.
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  const program = buildProgram();
  const group = groupWithoutSubcommand(program, argv.slice(2));
  if (group) {
    group.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    const { exitCode, message } = describeFailure(error);
    if (message) process.stderr.write(`${streamStyler(process.stderr, process.env).red('cleanroom:')} ${message}\n`);
    return exitCode;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cleanroom: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
