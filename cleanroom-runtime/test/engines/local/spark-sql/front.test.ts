/**
 * The Spark SQL front on its own (no DuckDB): parameter markers become bound DuckDB parameters, refusals name
 * the construct, Spark's null ordering is explicit, analysis errors are Spark's, and settings are tracked.
 */
import { splitStatements, SparkSqlSession, type Translation } from '../../../../src/engines/local/spark-sql';

function translate(sql: string, session = new SparkSqlSession()): Translation {
  return session.translate(sql);
}

function compiled(sql: string, session = new SparkSqlSession()) {
  const t = translate(sql, session);
  if (t.k !== 'run') throw new Error(`expected SQL, got ${t.k}: ${t.message}`);
  return t.statement;
}

describe('Spark SQL front', () => {
  it('turns :name markers into bound $name parameters and never puts a value in the SQL', () => {
    const statement = compiled("SELECT :country AS c, ':not_a_marker' AS s /* :nor_this */ WHERE :country = 'FR' -- :nor_that");
    expect(statement.parameters).toEqual(['country']);
    expect(statement.sql).toContain('$country');
    expect(statement.sql).not.toMatch(/\$nor_this|\$nor_that|\$not_a_marker/);
    expect(statement.sql).toContain("':not_a_marker'");
  });

  it('refuses what it does not reproduce, naming the construct', () => {
    const split = translate("SELECT split('a1b', '[0-9]+', 2)");
    expect(split).toEqual({ k: 'refused', message: expect.stringMatching(/^split with a positive limit is not available in local rehearsal.*; it runs on Databricks$/) });
    const skew = translate('SELECT skewness(x) FROM VALUES (1.0D) AS t(x)');
    expect(skew.k).toBe('refused');
    expect((skew as { message: string }).message).toMatch(/^the function skewness is not available in local rehearsal/);
    expect(translate("SELECT date '2020-01-02' - date '2020-01-01'").k).toBe('refused');
    expect(translate('SELECT * FROM a LATERAL VIEW explode(x) t AS y').k).toBe('refused');
    expect(translate("SELECT unknown_function('x')").k).toBe('refused');
  });

  it("makes Spark's null ordering explicit: NULLS FIRST ascending, NULLS LAST descending, in ORDER BY and windows", () => {
    const statement = compiled('SELECT x, sum(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM VALUES (1), (NULL) AS t(x) ORDER BY x DESC');
    expect(statement.sql).toMatch(/OVER \(ORDER BY .* ASC NULLS FIRST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW\)/);
    expect(statement.sql).toMatch(/ORDER BY .* DESC NULLS LAST/);
  });

  it('raises the analysis errors Spark raises', () => {
    expect(translate('SELECT nope FROM VALUES (1) AS t(x)')).toEqual({ k: 'error', message: expect.stringMatching(/^\[UNRESOLVED_COLUMN/) });
    expect(translate('SELECT concat_ws()')).toEqual({ k: 'error', message: expect.stringMatching(/^\[WRONG_NUM_ARGS\]/) });
    expect(translate('SELECT every(1)')).toEqual({ k: 'error', message: expect.stringMatching(/^\[DATATYPE_MISMATCH/) });
    expect(translate('SELECT count(*) FROM VALUES (1) AS t(x) WHERE count(*) > 1')).toEqual({ k: 'error', message: expect.stringMatching(/^\[INVALID_WHERE_CONDITION\]/) });
    expect(translate('SELECT 1 +')).toEqual({ k: 'error', message: expect.stringMatching(/^\[PARSE_SYNTAX_ERROR\]/) });
  });

  it('types literals and results as Spark does', () => {
    const statement = compiled("SELECT 1, 2147483648, 1.50, 1e3, 1L, 'a', typeof(1.5), date '2020-1-2'");
    expect(statement.columns.map((c) => c.type)).toEqual([
      { kind: 'int' },
      { kind: 'bigint' },
      { kind: 'decimal', precision: 3, scale: 2 },
      { kind: 'double' },
      { kind: 'bigint' },
      { kind: 'string' },
      { kind: 'string' },
      { kind: 'date' },
    ]);
    expect(statement.sql).toContain("'decimal(2,1)'");
  });

  it('tracks views across statements and refuses after a setting it does not reproduce until it is reset', () => {
    const session = new SparkSqlSession();
    const view = compiled('CREATE TEMPORARY VIEW v AS SELECT 1 AS a', session);
    session.ran(view);
    expect(compiled('SELECT a FROM v', session).columns).toEqual([{ name: 'a', type: { kind: 'int' } }]);
    expect(translate('SET spark.sql.legacy.someBehaviour=true', session).k).toBe('refused');
    expect(translate('SELECT a FROM v', session)).toEqual({ k: 'refused', message: expect.stringContaining('spark.sql.legacy.somebehaviour=true') });
    expect(translate('SET spark.sql.legacy.someBehaviour=false', session).k).toBe('run');
    expect(translate('SELECT a FROM v', session).k).toBe('run');
  });

  it('splits statements at semicolons outside strings, identifiers and comments', () => {
    const parts = splitStatements("SELECT ';' AS a; -- one; two\nSELECT `x;y` FROM t /* ; */ ;\n\n;  SELECT \"q;\"");
    expect(parts.map((p) => p.text)).toEqual(["SELECT ';' AS a", '-- one; two\nSELECT `x;y` FROM t /* ; */', 'SELECT "q;"']);
  });
});
