/**
 * `cleanroom` CLI entry point: builds the program, runs the command, and turns what happened into an exit code
 * (exit-codes.ts). Errors are one line `cleanroom: <message>` on stderr, never a stack trace.
 */
import { CommanderError, type Command } from 'commander';
import { EXIT, type ExitCode } from './exit-codes';
import { buildProgram } from './program';
import { streamStyler } from './style';

// A reader that stops early (`cleanroom table show … | head`) closes the pipe: that ends the output, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

/** Network failures: nothing answered at that address. */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The exit code and the message for an error a command ended with. */
export function describeFailure(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage, message: '' };
  const message = error instanceof Error ? error.message : String(error);
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { exitCode?: unknown; name?: unknown; code?: unknown; hostname?: unknown };
  if (typeof fields.exitCode === 'number' && Object.values(EXIT).includes(fields.exitCode as ExitCode)) return { exitCode: fields.exitCode as ExitCode, message };
  if (fields.name === 'ConfigError') return { exitCode: EXIT.config, message: `the configuration is invalid:\n${message}` };
  if (typeof fields.code === 'string' && UNREACHABLE.has(fields.code)) {
    const host = typeof fields.hostname === 'string' ? fields.hostname : 'the service';
    return {
      exitCode: EXIT.unavailable,
      message: `cannot reach ${host} (${fields.code}): check your network connection; for a local rehearsal, give --local-root <folder> (or CLEANROOM_LOCAL_ROOT). ${message}`,
    };
  }
  if (fields.code === 401 || fields.code === 403) return { exitCode: EXIT.unavailable, message: `permission denied: ${message}` };
  return { exitCode: EXIT.failed, message };
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
