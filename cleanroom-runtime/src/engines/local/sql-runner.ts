/**
 * Runs approved SQL in a locked sandbox: Spark SQL, statement by statement, through the Spark SQL front (which
 * refuses what local rehearsal does not reproduce) and the statement policy; `:name` markers are bound from the
 * run's parameters. The last statement must be a query, whose fully read result is returned.
 */
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { RunFailure } from './run-failure';
import { SparkSqlSession, splitStatements } from './spark-sql';
import { duckErrorMessage, registerSandboxTables } from './spark-sql-runner';
import { refusalFor, statementKindName } from './statement-policy';

export interface RunSqlOptions {
  /** Interrupts the statement that is running when the time is up. */
  timeoutMs: number;
  /** Values of the `:name` parameter markers, bound as strings. */
  parameters?: Readonly<Record<string, string>>;
  /** Called before each statement, for the run log. */
  onStatement?: (index: number, count: number, kind: string) => void;
}

export async function runSql(connection: DuckDBConnection, sql: string, options: RunSqlOptions): Promise<DuckDBResultReader> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, options.timeoutMs);
  try {
    const statements = splitStatements(sql);
    if (statements.length === 0) throw new RunFailure('the code contains no SQL statement; it must end with a query');
    const session = new SparkSqlSession({ timeZone: 'UTC' });
    await registerSandboxTables(connection, session);
    const values = options.parameters ?? {};
    let last: DuckDBResultReader | undefined;
    for (const [i, { text }] of statements.entries()) {
      const position = `statement ${i + 1} of ${statements.length}`;
      const translation = session.translate(text);
      if (translation.k === 'refused') throw new RunFailure(`${position} is refused: ${translation.message}`);
      if (translation.k === 'error') throw new RunFailure(`${position} failed: ${translation.message}`);
      const statement = translation.statement;
      const final = i === statements.length - 1;
      if (final && statement.kind !== 'query') {
        const kind = text.split(/\s+/)[0].toUpperCase();
        throw new RunFailure(`the last statement must be a query (SELECT ...) whose result becomes the job output; it is ${kind}`);
      }
      const missing = statement.parameters.filter((name) => values[name] === undefined);
      if (missing.length > 0) throw new RunFailure(`${position} uses the parameter${missing.length > 1 ? 's' : ''} ${missing.map((m) => `:${m}`).join(', ')}, which the job does not set`);
      const prepared = await connection.prepare(statement.sql).catch((error: unknown) => {
        throw failed(position, error);
      });
      const refusal = refusalFor(prepared.statementType);
      if (refusal) throw new RunFailure(`${position} is refused: ${refusal}`);
      for (const name of statement.parameters) prepared.bindVarchar(prepared.parameterIndex(name), values[name]);
      options.onStatement?.(i + 1, statements.length, statementKindName(prepared.statementType));
      try {
        const reader = await prepared.runAndReadAll();
        session.ran(statement);
        if (final) last = reader;
      } catch (error) {
        if (timedOut) throw new RunFailure(`${position} was stopped: the run exceeded its time limit of ${options.timeoutMs} ms`);
        throw failed(position, error);
      }
    }
    if (!last) throw new RunFailure('the code produced no result');
    return last;
  } finally {
    clearTimeout(timer);
  }
}

/** The error names the statement and the engine's first line (with Spark's error class where known). */
function failed(position: string, error: unknown): RunFailure {
  const full = (error instanceof Error ? error.message : String(error)).replace(/^(Error: )+/, '');
  return new RunFailure(`${position} failed: ${duckErrorMessage(error)}`, `${position}:\n${full}`);
}
