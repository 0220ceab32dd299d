/** `-` as a file or JSON value reads standard input, once per command (a second `-` has nothing left to read). */
import { CliError } from './errors';
import type { CliIo } from './io';

/** The most a command reads from stdin: code files are bounded at 1 MiB by the clean room, parameters far below. */
export const MAX_STDIN_BYTES = 4 * 1024 * 1024;

export function isStdin(value: string | undefined): boolean {
  return value === '-';
}

/** Reads all of stdin as UTF-8 text, refusing more than MAX_STDIN_BYTES or a terminal with nothing piped in. */
export async function readStdinText(io: CliIo, what: string): Promise<string> {
  if (!io.readStdin) throw new CliError(`${what} - reads standard input, which this command cannot read here`);
  return io.readStdin(MAX_STDIN_BYTES, what);
}

/** A process's stdin, read once; `-` given twice in one command is refused rather than read as empty. */
export function processStdinReader(stdin: NodeJS.ReadStream = process.stdin): (maxBytes: number, what: string) => Promise<string> {
  let used: string | undefined;
  return async (maxBytes, what) => {
    if (used !== undefined) throw new CliError(`${what} - : standard input was already read for ${used}; give only one option as -`);
    used = what;
    if (stdin.isTTY) throw new CliError(`${what} - reads standard input, but nothing is piped in: e.g. cat file | cleanroom ...`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stdin) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      if (size > maxBytes) throw new CliError(`${what} - : standard input holds more than ${maxBytes} bytes`);
      chunks.push(buffer);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      throw new CliError(`${what} - : standard input is not UTF-8 text`);
    }
  };
}
