/** An error the participant can fix: printed as `cleanroom: <message>` without a stack trace, exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
