/**
 * The exit codes of `cleanroom`, one per kind of outcome, so scripts and CI can tell "the clean room said no"
 * from "I typed it wrong" from "nothing answered in time". README's commands section lists them.
 */
export const EXIT = {
  /** Done; with --wait, the request was accepted (and a job's run succeeded). */
  ok: 0,
  /** The clean room refused the request, a job's run failed, or a check found a problem (doctor). */
  failed: 1,
  /** The command line is wrong: unknown command or option, a missing or invalid value, an unreadable file. */
  usage: 2,
  /** The configuration folder is missing or invalid. */
  config: 3,
  /** What the command needs is not there: credentials, settings, a reachable store, tables the runtime publishes. */
  unavailable: 4,
  /** --wait gave up waiting; the request itself is saved and is processed later. */
  timeout: 5,
  /** Interrupted (Ctrl-C), as shells report SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One line per exit code, for `--help` and the README. */
export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.ok, 'done (with --wait: accepted, and a job run succeeded)'],
  [EXIT.failed, 'refused by the clean room, a run failed, or a check found a problem'],
  [EXIT.usage, 'wrong command line: unknown command or option, missing or invalid value'],
  [EXIT.config, 'the configuration folder is missing or invalid'],
  [EXIT.unavailable, 'missing credentials or settings, storage unreachable, nothing published yet'],
  [EXIT.timeout, '--wait gave up (the request is saved and processed later)'],
  [EXIT.interrupted, 'interrupted (Ctrl-C)'],
];
