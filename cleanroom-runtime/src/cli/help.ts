/** How every command's --help reads: required options marked, examples after the options. */
import type { Command } from 'commander';

/** The description of an option the command cannot run without. */
export function required(description: string): string {
  return `${description} (required)`;
}

/** Adds an "Examples:" section to the command's --help, one command line per entry. */
export function examples<C extends Command>(command: C, lines: readonly string[]): C {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`) as C;
}

/** The shared session options' help: who acts, which config, which storage. */
export const SESSION_HELP = {
  as: 'act as this participant (default: $CLEANROOM_PARTICIPANT)',
  config: 'folder holding cleanroom.yaml and participants/ (default: $CLEANROOM_CONFIG_DIR, else .)',
  localRoot: 'local mode: gs://bucket/... lives in <dir>/gs/bucket/... (default: $CLEANROOM_LOCAL_ROOT, else Google Cloud Storage)',
} as const;
