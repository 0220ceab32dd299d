/**
 * Spark semantics where DuckDB by itself answers differently (the divergences measured when the local engine ran
 * Spark SQL as written): each case runs in a locked sandbox and gets Spark's answer, Spark's error, or a refusal.
 * Expected values are Spark's, from its golden files (sql/core/src/test/resources/sql-tests/results in
 * https://github.com/apache/spark) and the Spark SQL reference (https://spark.apache.org/docs/latest/sql-ref-ansi-compliance.html).
 */
import { Sandbox } from '../../../../src/engines/local/sandbox';
import { SparkSqlSession, sessionSetup } from '../../../../src/engines/local/spark-sql';
import { runSparkStatement, type StatementOutcome } from '../../../../src/engines/local/spark-sql-runner';
import { jsonValue } from '../../../../src/engines/local/spark-values';

let sandbox: Sandbox;
let session: SparkSqlSession;

beforeAll(async () => {
  sandbox = await Sandbox.open(undefined, sessionSetup('UTC'));
  await sandbox.lock();
  session = new SparkSqlSession({ timeZone: 'UTC' });
  for (const sql of [
    'CREATE TEMPORARY VIEW t AS SELECT * FROM VALUES (1, 1), (1, 2), (NULL, 3), (2, NULL) AS t(a, b)',
    'CREATE TEMPORARY VIEW flags AS SELECT * FROM VALUES (1, true), (1, NULL), (2, NULL) AS flags(k, v)',
  ]) {
    expect((await run(sql)).k).toBe('result');
  }
});

afterAll(() => sandbox.close());

async function run(sql: string, parameters?: Record<string, string>): Promise<StatementOutcome> {
  return runSparkStatement(sandbox.connection, session, sql, { parameters });
}

async function rows(sql: string, parameters?: Record<string, string>): Promise<unknown[][]> {
  const outcome = await run(sql, parameters);
  if (outcome.k !== 'result') throw new Error(`${sql}: ${outcome.k}: ${outcome.message}`);
  return outcome.rows.map((r) => r.map(jsonValue));
}

async function error(sql: string): Promise<string> {
  const outcome = await run(sql);
  if (outcome.k !== 'error') throw new Error(`${sql}: expected an error, got ${outcome.k}`);
  return outcome.message;
}

describe('Spark semantics in the local engine', () => {
  it('sorts NULLs first ascending, so a running window sum starts with them', async () => {
    expect(await rows('SELECT a, sum(b) OVER (ORDER BY a ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t ORDER BY a')).toEqual([
      [null, 3],
      [1, 4],
      [1, 6],
      [2, 6],
    ]);
    expect(await rows('SELECT a FROM t ORDER BY a DESC')).toEqual([[2], [1], [1], [null]]);
  });

  it('bool_and and bool_or skip NULLs and are NULL for no values', async () => {
    expect(await rows('SELECT k, bool_and(v), bool_or(v), every(v) FROM flags GROUP BY k ORDER BY k')).toEqual([
      [1, true, true, true],
      [2, null, null, null],
    ]);
  });

  it('split_part with an empty delimiter keeps the whole string; part 0 raises', async () => {
    expect(await rows("SELECT split_part('11.12.13', '', 1), split_part('11.12.13', '.', -1), split_part('11.12.13', '.', 5)")).toEqual([['11.12.13', '13', '']]);
    expect(await error("SELECT split_part('11.12.13', '.', 0)")).toMatch(/ELEMENT_AT_BY_INDEX_ZERO/);
  });

  it('pads binaries with bytes', async () => {
    expect(await rows("SELECT hex(lpad(unhex('aa'), 5, unhex('1f2e'))), hex(rpad(unhex('aabbcc'), 2))")).toEqual([['1F2E1F2EAA', 'AABB']]);
  });

  it("names types as Spark's typeof does", async () => {
    expect(await rows("SELECT typeof(1), typeof(1L), typeof(1.5), typeof(1.5D), typeof('a'), typeof(array(1)), typeof(named_struct('x', 1))")).toEqual([
      ['int', 'bigint', 'decimal(2,1)', 'double', 'string', 'array<int>', 'struct<x:int>'],
    ]);
  });

  it('raises ANSI errors on overflow, division by zero and invalid casts', async () => {
    expect(await error('SELECT 2147483647 + 1')).toMatch(/ARITHMETIC_OVERFLOW/);
    expect(await error('SELECT round(2147483647, -1)')).toMatch(/ARITHMETIC_OVERFLOW/);
    expect(await error('SELECT 1 / 0')).toMatch(/DIVIDE_BY_ZERO/);
    expect(await error("SELECT CAST('1.5' AS INT)")).toMatch(/CAST_INVALID_INPUT/);
    expect(await error("SELECT CAST(a || 'x' AS INT) FROM t WHERE a = 1")).toMatch(/CAST_INVALID_INPUT/);
    // Compared with an integer, a string is read as a bigint (ANSI), so a malformed one raises.
    expect(await error("SELECT 'a' = 1")).toMatch(/CAST_INVALID_INPUT/);
    expect(await rows("SELECT 1 = ' 1 ', 2 > '1'")).toEqual([[true, true]]);
    expect(await rows('SELECT CAST(1.5 AS INT), CAST(-1.5 AS INT), 7 / 2, 7 div 2, -7 % 2')).toEqual([[1, -1, 3.5, 3, -1]]);
  });

  it('keeps the lazy branches of IF, CASE and COALESCE lazy', async () => {
    expect(await rows('SELECT if(1 = 1, 1, 1 / 0), coalesce(1, 1 / 0), CASE WHEN a IS NULL THEN 0 ELSE 10 / a END FROM t WHERE b = 3')).toEqual([[1, 1, 0]]);
  });

  it('date_add on a timestamp returns a date; to_date with a day pattern defaults to 1970-01', async () => {
    expect(await rows("SELECT date_add(timestamp'2011-11-11 12:12:12', 1), to_date('16', 'dd')")).toEqual([['2011-11-12', '1970-01-16']]);
    expect(await error("SELECT to_date('02-29', 'MM-dd')")).toBeTruthy();
  });

  it('counts distinct tuples, skipping tuples with a NULL field', async () => {
    expect(await rows('SELECT count(DISTINCT a, b), count(DISTINCT (a, b)), count((a, b)), count(a, b) FROM t')).toEqual([[2, 4, 4, 2]]);
  });

  it('averages decimals exactly with Spark\'s result scale', async () => {
    expect(await rows('SELECT avg(x), sum(x) FROM VALUES (CAST(1 AS DECIMAL(9, 0))), (CAST(2 AS DECIMAL(9, 0))) AS v(x)')).toEqual([[1.5, 3]]);
    const outcome = await run('SELECT avg(x) FROM VALUES (CAST(1 AS DECIMAL(9, 0))) AS v(x)');
    expect(outcome.k === 'result' && outcome.columns[0].type).toEqual({ kind: 'decimal', precision: 13, scale: 4 });
  });

  it('binds parameter values as data, whatever they contain', async () => {
    const hostile = "x'); DROP TABLE t; --";
    expect(await rows('SELECT :v AS v, length(:v)', { v: hostile })).toEqual([[hostile, hostile.length]]);
    expect(await rows('SELECT count(*) FROM t')).toEqual([[4]]);
    // Compared with a number or a date, a parameter is read as Spark reads a string literal there.
    expect(await rows('SELECT count(*) FROM t HAVING count(*) >= :n', { n: '4' })).toEqual([[4]]);
    expect(await rows("SELECT DATE '2020-01-02' = :d", { d: '2020-01-02' })).toEqual([[true]]);
    expect((await run('SELECT count(*) FROM t HAVING count(*) >= :n', { n: '4 OR 1=1' })).k).toBe('error');
    expect(await run('SELECT :missing')).toEqual({ k: 'error', message: expect.stringMatching(/UNBOUND_SQL_PARAMETER.*:missing/) });
  });
});
