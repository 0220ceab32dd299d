/**
 * Runs a Spark golden file through the Spark SQL front in a locked sandbox (statements in file order, one
 * session, Spark's test time zone) and classifies every query against Spark's recorded output.
 */
import { Sandbox } from '../../../../src/engines/local/sandbox';
import { SparkSqlSession, sessionSetup } from '../../../../src/engines/local/spark-sql';
import { runSparkStatement, type StatementOutcome } from '../../../../src/engines/local/spark-sql-runner';
import { readGoldenFile, trimBlank, type GoldenQuery } from './golden-file';
import { sparkText } from './spark-text';

/** SQLQueryTestSuite runs in this time zone; the golden files print timestamps in it. */
export const SPARK_TEST_TIME_ZONE = 'America/Los_Angeles';

export type Verdict = 'agree' | 'refused' | 'different' | 'spark_raises_local_answers' | 'local_raises';

export interface QueryReport {
  query: GoldenQuery;
  verdict: Verdict;
  outcome: StatementOutcome;
  localOutput?: string[];
}

export interface FileReport {
  file: string;
  queries: QueryReport[];
  counts: Record<Verdict, number>;
}

export async function runGoldenFile(file: string): Promise<FileReport> {
  const queries = readGoldenFile(file);
  const session = new SparkSqlSession({ timeZone: SPARK_TEST_TIME_ZONE });
  const sandbox = await Sandbox.open(undefined, sessionSetup(SPARK_TEST_TIME_ZONE));
  const reports: QueryReport[] = [];
  try {
    await sandbox.lock();
    for (const query of queries) {
      const outcome = await runSparkStatement(sandbox.connection, session, query.sql);
      reports.push(classify(query, outcome));
    }
  } finally {
    sandbox.close();
  }
  const counts: Record<Verdict, number> = { agree: 0, refused: 0, different: 0, spark_raises_local_answers: 0, local_raises: 0 };
  for (const r of reports) counts[r.verdict]++;
  return { file, queries: reports, counts };
}

function classify(query: GoldenQuery, outcome: StatementOutcome): QueryReport {
  if (outcome.k === 'refused') return { query, verdict: 'refused', outcome };
  if (query.raises) return { query, verdict: outcome.k === 'error' ? 'agree' : 'spark_raises_local_answers', outcome };
  if (outcome.k === 'error') return { query, verdict: 'local_raises', outcome };
  const lines = outcome.rows.map((row) => row.map((v, i) => sparkText(v, outcome.columns[i].type, SPARK_TEST_TIME_ZONE, false, query.legacyFormat)).join('\t'));
  const local = trimBlank(lines.join('\n').split('\n'));
  const expected = query.output;
  const ordered = hasTopLevelOrderBy(query.sql);
  const same = ordered ? equalLines(local, expected) : equalLines([...local].sort(), [...expected].sort());
  const emptyBoth = outcome.rows.length === 0 && expected.length === 0;
  return { query, verdict: same || emptyBoth ? 'agree' : 'different', outcome, localOutput: local };
}

function equalLines(a: string[], b: string[]): boolean {
  const clean = (lines: string[]) => lines.filter((l, i) => !(l === '' && i === lines.length - 1));
  const x = clean(a);
  const y = clean(b);
  return x.length === y.length && x.every((line, i) => line === y[i]);
}

/** ORDER BY outside parentheses: the result order is defined. */
function hasTopLevelOrderBy(sql: string): boolean {
  let depth = 0;
  let flat = '';
  for (const ch of sql.replace(/'[^']*'|"[^"]*"/g, "''")) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) flat += ch;
  }
  return /\border\s+by\b/i.test(flat);
}
