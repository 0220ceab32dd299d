/**
 * Runs approved SQL in a locked sandbox: the statements the clean room reads in the code (src/sql/sql-code.ts,
 * the same reading as on Databricks), each checked against the statement policy before it runs, with its `:name`
 * markers bound as values through a DuckDB prepared statement — a value never becomes SQL text. The last
 * statement must be a query, whose fully read result is returned.
 */
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBResultReader } from '@duckdb/node-api';
import { readSqlCode, toDuckDbParameters } from '../../sql/sql-code';
import { RunFailure, RunTimedOut } from './run-failure';
import { isQuery, refusalFor, statementKindName } from './statement-policy';

export interface RunSqlOptions {
  /** Interrupts the statement that is running when the time is up. */
  timeoutMs: number;
  /** The final query may return at most this many rows; more fails the run (default: no limit). */
  maxResultRows?: number;
  /** Job parameters (merged over the code's defaults), bound by name to the code's `:name` markers. */
  parameters?: Readonly<Record<string, string>>;
  /** Called before each statement, for the run log. */
  onStatement?: (index: number, count: number, kind: string) => void;
}

export async function runSql(connection: DuckDBConnection, sql: string, options: RunSqlOptions): Promise<DuckDBResultReader> {
  const code = readSqlCode(sql);
  if (code.problems.length > 0) {
    const [first] = code.problems;
    throw new RunFailure(`the code cannot run as SQL: line ${first.line}: ${first.message}`, code.problems.map((p) => `line ${p.line}: ${p.message}`).join('\n'));
  }
  const parameters = options.parameters ?? {};
  const count = code.statements.length;
  if (count === 0) throw new RunFailure('the code contains no SQL statement; it must end with a query');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, options.timeoutMs);
  try {
    let last: DuckDBResultReader | undefined;
    for (let i = 0; i < count; i++) {
      const statement = code.statements[i];
      const position = `statement ${i + 1} of ${count} (line ${statement.line})`;
      const prepared = await prepareOne(connection, toDuckDbParameters(statement.text), position);
      const refusal = refusalFor(prepared.statementType);
      if (refusal) throw new RunFailure(`${position} is refused: ${refusal}`);
      const final = i === count - 1;
      if (final && !isQuery(prepared.statementType)) {
        throw new RunFailure(`the last statement must be a query (SELECT ...) whose result becomes the job output; it is ${statementKindName(prepared.statementType)}`);
      }
      bindParameters(prepared, statement.parameters, parameters, position);
      options.onStatement?.(i + 1, count, statementKindName(prepared.statementType));
      try {
        if (final) last = await readResult(prepared, options.maxResultRows);
        else await prepared.run();
      } catch (error) {
        if (error instanceof RunFailure && !timedOut) throw error;
        if (timedOut) throw new RunTimedOut(`${position} was stopped: the run exceeded its time limit of ${options.timeoutMs} ms`);
        throw failed(position, error);
      }
    }
    if (!last) throw new RunFailure('the code produced no result');
    return last;
  } finally {
    clearTimeout(timer);
  }
}

/** The final query's rows, read as a stream so that a result over the limit is never held whole. */
async function readResult(prepared: DuckDBPreparedStatement, maxRows: number | undefined): Promise<DuckDBResultReader> {
  if (maxRows === undefined) return prepared.runAndReadAll();
  const reader = await prepared.streamAndReadUntil(maxRows + 1);
  if (reader.currentRowCount > maxRows) {
    throw new RunFailure(`the result has more than ${maxRows} rows, the limit of a job's output: aggregate or filter it (the output of a clean room job is meant to be a summary)`);
  }
  return reader;
}

/** One statement as the clean room split it; DuckDB must see exactly one too, else the two readings differ. */
async function prepareOne(connection: DuckDBConnection, text: string, position: string): Promise<DuckDBPreparedStatement> {
  const extracted = await connection.extractStatements(text).catch((error: unknown) => {
    throw failed(position, error);
  });
  if (extracted.count !== 1) {
    throw new RunFailure(`${position} reads as ${extracted.count} statements in the local engine: end each statement with ';' outside strings and comments`);
  }
  return extracted.prepare(0).catch((error: unknown) => {
    throw failed(position, error);
  });
}

/** Binds each marker the statement uses to the job's value, as a string (as Databricks binds widget values). */
function bindParameters(prepared: DuckDBPreparedStatement, used: readonly string[], given: Readonly<Record<string, string>>, position: string): void {
  const values: Record<string, string> = {};
  for (const name of used) {
    if (!Object.hasOwn(given, name)) {
      const known = Object.keys(given).sort().join(', ') || 'none';
      throw new RunFailure(
        `${position} uses the parameter :${name} but the job does not give it (given: ${known}); pass it in the job's --params JSON or add it to the code's default parameters`,
      );
    }
    values[name] = given[name];
  }
  if (prepared.parameterCount !== used.length) {
    throw new RunFailure(`${position} has ${prepared.parameterCount} parameters in the local engine but ${used.length} named markers (:name); write each parameter as :name`);
  }
  for (let index = 1; index <= prepared.parameterCount; index++) {
    const name = prepared.parameterName(index);
    if (!Object.hasOwn(values, name)) throw new RunFailure(`${position} has a parameter the clean room did not find as a :name marker (${name.slice(0, 64)})`);
    prepared.bindVarchar(index, values[name]);
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
