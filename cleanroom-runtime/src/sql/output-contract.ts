/**
 * The output contract of SQL code: the rows of its last query are the job's output, and the clean room writes them
 * to the job's `output` location itself. Code written for the seed's template writes the output on its own
 * (`CREATE TABLE delta.`$output` ...`, `INSERT INTO delta.`$output` ...`); at registration such a statement is
 * refused with the fix (drop it, end with the query), in place of the text-substitution problems inside it, and so
 * is a last statement that is not a query. Pure.
 */
import { lexSparkSql } from './spark-lexer';
import type { SqlCode, SqlCodeProblem, SqlStatement } from './sql-code';

/** A write whose target is a file path (`<format>.`<path>``): the job's output, or files the clean room never offers. */
const PATH_WRITE =
  /^\s*(?:INSERT\s+(?:INTO|OVERWRITE)(?:\s+TABLE)?|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?|REPLACE\s+TABLE|MERGE\s+INTO|COPY\s+INTO)\s+(?:delta|parquet|json|csv|orc|avro|text)\s*\.\s*`/i;

/** First keywords of statements that are not queries. */
const NOT_A_QUERY = /^\s*(INSERT|CREATE|REPLACE|MERGE|UPDATE|DELETE|DROP|ALTER|TRUNCATE|COPY|SET|RESET|USE|CACHE|UNCACHE|REFRESH|OPTIMIZE|VACUUM|ANALYZE|MSCK|GRANT|REVOKE)\b/i;

export const PATH_WRITE_MESSAGE =
  "the statement writes its result to a path (delta.`...`): the clean room itself writes the rows of the code's last query to the job's output location; remove the statement and end the code with that query (e.g. SELECT * FROM my_view)";

/**
 * The problems of `code` with the output contract applied: a statement writing to a path gets PATH_WRITE_MESSAGE and
 * loses its text-substitution problems (the statement goes as a whole); a last statement that is not a query gets
 * its own problem.
 */
export function withOutputContract(code: SqlCode): SqlCodeProblem[] {
  const writes = code.statements.filter((s) => PATH_WRITE.test(codeShape(s.text)));
  const inWrite = (line: number) => writes.some((s) => line >= s.line && line <= lastLine(s));
  const problems = code.problems.filter((p) => !(inWrite(p.line) && /^\$/.test(p.message)));
  problems.push(...writes.map((s) => ({ line: s.line, message: PATH_WRITE_MESSAGE })));
  const last = code.statements[code.statements.length - 1];
  const keyword = last === undefined ? null : NOT_A_QUERY.exec(codeShape(last.text));
  if (last !== undefined && keyword && !writes.includes(last)) {
    problems.push({
      line: last.line,
      message: `the last statement is ${keyword[1].toUpperCase()}: SQL code ends with the query (SELECT ...) whose rows are the job's output, which the clean room writes to the output location`,
    });
  }
  return problems.sort((a, b) => a.line - b.line);
}

/** The statement's code with comments removed, strings and quoted names kept as written. */
function codeShape(text: string): string {
  return lexSparkSql(text)
    .map((segment) => (segment.kind === 'comment' ? ' ' : segment.text))
    .join('');
}

/** The line of the statement's last character (its `line` is that of its first code, after any leading comment). */
function lastLine(statement: SqlStatement): number {
  const first = lexSparkSql(statement.text).find((s) => s.kind !== 'comment' && s.text.trim() !== '');
  const from = first === undefined ? 0 : first.start + (first.text.length - first.text.trimStart().length);
  return statement.line + (statement.text.slice(from).match(/\n/g)?.length ?? 0);
}
