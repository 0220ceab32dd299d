/**
 * An error the user can fix: printed as `cleanroom: <message>` without a stack trace, with the exit code of its
 * kind (exit-codes.ts): by default a usage error, since most are a value given on the command line.
 */
import { EXIT, type ExitCode } from '../exit-codes';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
