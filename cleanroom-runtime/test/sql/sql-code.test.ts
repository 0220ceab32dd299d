/**
 * How the clean room reads SQL code. The lexing rules are Spark's own (SqlBaseLexer.g4,
 * https://github.com/apache/spark/blob/master/sql/api/src/main/antlr4/org/apache/spark/sql/catalyst/parser/SqlBaseLexer.g4):
 * backslash escapes in '...' and "..." strings, raw R'...' strings, doubled back quotes in `...` names, `--`
 * comments continued by a backslash before the line break, nested /* *\/ comments, and /*+ hints as code.
 * Named parameter markers are `:name` (https://spark.apache.org/docs/latest/sql-ref-syntax-misc-parameter-marker.html);
 * Databricks SQL notebooks separate cells with `-- COMMAND ----------` and declare widgets with CREATE WIDGET
 * (https://docs.databricks.com/en/notebooks/widgets.html).
 */
import { lexSparkSql } from '../../src/sql/spark-lexer';
import { readSqlCode, toDuckDbParameters } from '../../src/sql/sql-code';

const kinds = (sql: string) => lexSparkSql(sql).map((s) => [s.kind, s.text]);

describe('Spark lexer', () => {
  test('strings with backslash escapes, raw strings, back-quoted names, comments and hints', () => {
    expect(kinds("SELECT 'it\\'s :x', \"a\\\"b\", r'c:\\d', `we``ird :n` -- c :y\n/* a /* nested */ :z */ /*+ HINT */ :v")).toEqual([
      ['code', 'SELECT '],
      ['string', "'it\\'s :x'"],
      ['code', ', '],
      ['string', '"a\\"b"'],
      ['code', ', '],
      ['string', "r'c:\\d'"],
      ['code', ', '],
      ['identifier', '`we``ird :n`'],
      ['code', ' '],
      ['comment', '-- c :y\n'],
      ['comment', '/* a /* nested */ :z */'],
      ['code', ' /*+ HINT */ :v'],
    ]);
  });

  test('a backslash before the line break continues a -- comment; an unterminated literal runs to the end', () => {
    expect(kinds('-- a \\\n still comment\nSELECT 1')).toEqual([['comment', '-- a \\\n still comment\n'], ['code', 'SELECT 1']]);
    expect(kinds("SELECT 'open")).toEqual([['code', 'SELECT '], ['string', "'open"]]);
    expect(kinds('x /* open')).toEqual([['code', 'x '], ['comment', '/* open']]);
  });

  test('an identifier ending in r before a quote is not a raw string', () => {
    expect(kinds("SELECT bar'x\\'y'")).toEqual([['code', 'SELECT bar'], ['string', "'x\\'y'"]]);
  });
});

describe('readSqlCode', () => {
  test('statements end at ; in code or at a notebook cell boundary; markers are listed per statement', () => {
    const code = readSqlCode(
      [
        '-- Databricks notebook source',
        "CREATE TEMP VIEW v AS SELECT * FROM a.t WHERE c = ':not_a_marker;' AND n > :min",
        '',
        '-- COMMAND ----------',
        '',
        'SELECT x::int, :label AS label, :min FROM v; -- trailing; comment',
        '',
      ].join('\n'),
    );
    expect(code.problems).toEqual([]);
    expect(code.statements.map((s) => [s.line, s.parameters])).toEqual([
      [2, ['min']],
      [6, ['label', 'min']],
    ]);
    expect(code.statements[1].text).toBe('SELECT x::int, :label AS label, :min FROM v');
  });

  test('CREATE WIDGET declares a parameter with its default and is not a statement to run', () => {
    const code = readSqlCode('CREATE WIDGET TEXT output DEFAULT "";\nCREATE WIDGET DROPDOWN country DEFAULT "FR" CHOICES SELECT DISTINCT c FROM t;\nREMOVE WIDGET old;\nSELECT :country');
    expect(code.widgets.map((w) => [w.name, w.defaultValue])).toEqual([['output', ''], ['country', 'FR']]);
    expect(code.statements.map((s) => s.text)).toEqual(['SELECT :country']);
  });

  test.each([
    ['${name} in code', 'SELECT * FROM t WHERE n > ${min}', 1, /\$\{min\} is text substitution.*:min/],
    ['${name} in a string', "SELECT * FROM t WHERE c = '${country}'", 1, /\$\{country\} is text substitution.*:country in place of the quoted text/],
    ['$name in code', 'SELECT * FROM t WHERE n > $min', 1, /\$min is text substitution.*:min/],
    ['$name of a widget in a back-quoted name', 'CREATE WIDGET TEXT output DEFAULT "";\nINSERT INTO delta.`$output` SELECT 1', 2, /\$output is text substitution.*IDENTIFIER\(:output\)/],
    ['$name of a default parameter in a string', "SELECT '$label' AS l", 1, /\$label is text substitution/],
    ['a bare $ in code', 'SELECT $$x$$', 1, /`\$` is not Spark SQL outside strings/],
    ['getArgument()', "SELECT getArgument('country')", 1, /getArgument\(\.\.\.\) reads a notebook widget as text/],
    ['dbutils.widgets.get', "SELECT dbutils.widgets.get('c')", 1, /dbutils\.widgets\.get\(\.\.\.\)/],
    ['a positional marker', 'SELECT * FROM t WHERE n > ?', 1, /positional parameter markers \(\?\) are not supported/],
    ['a %python cell', '-- Databricks notebook source\nSELECT 1\n-- COMMAND ----------\n-- MAGIC %python\n-- MAGIC import os', 4, /cell magic %python is not allowed/],
    ['a %run cell', '-- MAGIC %run ./other\nSELECT 1', 1, /cell magic %run is not allowed/],
    ['a marker jobs cannot name', 'SELECT :näme', 1, /parameter marker :näme has a name jobs cannot give/],
  ])('refused: %s', (_title, sql, line, message) => {
    const { problems } = readSqlCode(sql, { parameters: ['label'] });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].line).toBe(line);
    expect(problems[0].message).toMatch(message);
  });

  test.each([
    ['$ as data in a string', "SELECT 'US$' AS currency, 'cost: $USD' AS c"],
    ['${...} in a comment', '-- uses ${nothing}\nSELECT 1 /* ${nothing} */'],
    ['a markdown cell', '-- MAGIC %md\n-- MAGIC # Title\nSELECT 1'],
    ['the :: cast', 'SELECT a::string FROM t'],
  ])('accepted: %s', (_title, sql) => {
    expect(readSqlCode(sql).problems).toEqual([]);
  });
});

describe('toDuckDbParameters', () => {
  test('only markers in code become DuckDB named parameters; casts, strings, names and comments are kept', () => {
    expect(toDuckDbParameters("SELECT :a, x::int, ':b', `:c`, /* :d */ :e_1 -- :f")).toBe("SELECT $a, x::int, ':b', `:c`, /* :d */ $e_1 -- :f");
  });
});
