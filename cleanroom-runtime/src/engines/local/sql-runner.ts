/**
 * Runs approved SQL in a locked sandbox: statement by statement, each checked against the statement policy
 * before it runs; the last one must be a query, whose fully read result is returned.
 */
import type { DuckDBConnection, DuckDBResultReader } from '@duckdb/node-api';
import { RunFailure } from './run-failure';
import { isQuery, refusalFor, statementKindName } from './statement-policy';

export interface RunSqlOptions {
  /** Interrupts the statement that is running when the time is up. */
  timeoutMs: number;
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
    const statements = await connection.extractStatements(sql).catch((error: unknown) => {
      const full = messageOf(error);
      throw new RunFailure(`the SQL does not parse: ${full.split('\n')[0]}`, full);
    });
    if (statements.count === 0) throw new RunFailure('the code contains no SQL statement; it must end with a query');
    let last: DuckDBResultReader | undefined;
    for (let i = 0; i < statements.count; i++) {
      const position = `statement ${i + 1} of ${statements.count}`;
      const prepared = await statements.prepare(i).catch((error: unknown) => {
        throw failed(position, error);
      });
      const refusal = refusalFor(prepared.statementType);
      if (refusal) throw new RunFailure(`${position} is refused: ${refusal}`);
      const final = i === statements.count - 1;
      if (final && !isQuery(prepared.statementType)) {
        throw new RunFailure(`the last statement must be a query (SELECT ...) whose result becomes the job output; it is ${statementKindName(prepared.statementType)}`);
      }
      options.onStatement?.(i + 1, statements.count, statementKindName(prepared.statementType));
      try {
        const reader = await prepared.runAndReadAll();
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

/** The error names the statement and DuckDB's first line; the trace keeps DuckDB's full text (LINE/caret). */
function failed(position: string, error: unknown): RunFailure {
  const full = messageOf(error);
  return new RunFailure(`${position} failed: ${full.split('\n')[0]}`, `${position}:\n${full}`);
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^(Error: )+/, '');
}
