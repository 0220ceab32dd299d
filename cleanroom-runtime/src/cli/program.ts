/**
 * The `cleanroom` program: global options (--version, --no-color), help that lists the exit codes and the
 * environment, and every command group. Building it loads commander and the command definitions only.
 */
import { Command } from 'commander';
import { registerCommands } from './commands';
import { EXIT_CODE_HELP } from './exit-codes';

/** The variables every command reads; runtime, doctor and serve list theirs in their own --help. */
export const ENVIRONMENT_HELP: ReadonlyArray<readonly [string, string]> = [
  ['CLEANROOM_CONFIG_DIR', 'the config folder (cleanroom.yaml + participants/), like --config'],
  ['CLEANROOM_PARTICIPANT', 'who you act as, like --as'],
  ['CLEANROOM_LOCAL_ROOT', 'local rehearsal: gs://<bucket>/... is <dir>/gs/<bucket>/..., like --local-root'],
  ['CLEANROOM_USER', 'the user name written in your events (default: your OS user)'],
  ['GOOGLE_APPLICATION_CREDENTIALS', 'a service account key for Cloud Storage (default: gcloud application default credentials)'],
  ['NO_COLOR', 'set (not empty): no colour, like --no-color; FORCE_COLOR=1 colours output that is not a terminal'],
];

/** This package's version (package.json is two folders up from src/cli and from dist/cli). */
export function packageVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}

function table(rows: ReadonlyArray<readonly [string | number, string]>): string {
  const width = Math.max(...rows.map(([key]) => String(key).length));
  return rows.map(([key, text]) => `  ${String(key).padEnd(width)}  ${text}`).join('\n');
}

export function buildProgram(): Command {
  const program = new Command('cleanroom')
    .description('Multi-party data clean room: configuration, Delta control tables, participant and operator commands.')
    .version(packageVersion(), '-V, --version', 'print the version of cleanroom')
    .option('--no-color', 'plain output without colour (also NO_COLOR)')
    .helpCommand(true)
    .configureHelp({ styleTitle: (text) => `\x1b[1m${text}\x1b[0m`, sortSubcommands: false })
    .showHelpAfterError('(add --help to see what it takes)')
    .exitOverride();
  program.addHelpText(
    'after',
    '\nExamples:\n  $ cleanroom demo\n  $ cleanroom status runs --as advertiser --config examples --local-root .cleanroom\n  $ cleanroom data register --help\n' +
      `\nExit codes:\n${table(EXIT_CODE_HELP)}\n` +
      `\nEnvironment:\n${table(ENVIRONMENT_HELP)}\n`,
  );
  registerCommands(program);
  return program;
}
