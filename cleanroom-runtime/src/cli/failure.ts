/** How an error a command ended with is shown and which exit code it gets (exit-codes.ts). */
import { CommanderError } from 'commander';
import { EXIT, type ExitCode } from './exit-codes';

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
