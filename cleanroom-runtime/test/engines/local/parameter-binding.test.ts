/**
 * Job parameters are bound as values, never spliced into the approved SQL: whatever a value holds, the statement
 * DuckDB prepares is the approved one (its text is built from the code alone) and the value comes back unchanged.
 * DuckDB binds named parameters `$name` of prepared statements (https://duckdb.org/docs/stable/sql/query_syntax/prepared_statements).
 */
import fc from 'fast-check';
import { Sandbox } from '../../../src/engines/local/sandbox';
import { runSql } from '../../../src/engines/local/sql-runner';
import { lexSparkSql } from '../../../src/sql/spark-lexer';
import { toDuckDbParameters } from '../../../src/sql/sql-code';

/** Values a hostile submitter would try: quotes of every kind, comments, statement ends, markers, tags. */
const HOSTILE = ["x' OR 1=1 --", "'; DROP TABLE t; --", '") UNION SELECT 1 --', '`; SELECT 1', '$$, (SELECT 1) $$', '$tag$', ':other', '${other}', '*/ SELECT 1 /*', '\\', '\\\'', 'a\nb\r\n', '😀 ünï'];

const value = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/\0/g, '')));

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await Sandbox.open();
  await sandbox.connection.run('CREATE SCHEMA p');
  await sandbox.connection.run('CREATE TABLE p.t AS SELECT * FROM (VALUES (1, \'a\'), (2, \'b\')) v(n, c)');
  await sandbox.lock();
});

afterAll(() => sandbox.close());

const run = (sql: string, parameters: Record<string, string>) => runSql(sandbox.connection, sql, { timeoutMs: 10_000, parameters });

test('any value comes back exactly as given, in any position of the code', async () => {
  await fc.assert(
    fc.asyncProperty(value, value, async (a, b) => {
      const reader = await run("SELECT :a AS a, concat('[', :b, ']') AS b, (SELECT count(*) FROM p.t WHERE c = :a) AS n -- :a\n", { a, b });
      const [row] = reader.getRowObjectsJS();
      expect(row).toEqual({ a, b: `[${b}]`, n: BigInt(['a', 'b'].includes(a) ? 1 : 0) });
    }),
    { numRuns: 150 },
  );
});

test('the rewrite for DuckDB touches only markers in code: strings, names and comments come through byte for byte', () => {
  const sqlish = fc.string({ unit: fc.constantFrom(...":$'\"`-/*\\\n ab_1;".split('')), maxLength: 80 });
  fc.assert(
    fc.property(sqlish, (code) => {
      const before = lexSparkSql(code);
      const after = lexSparkSql(toDuckDbParameters(code));
      expect(after.map((s) => s.kind)).toEqual(before.map((s) => s.kind));
      after.forEach((segment, i) => {
        if (segment.kind !== 'code') expect(segment.text).toBe(before[i].text);
        else expect(segment.text.replace(/\$(?=[\p{L}_])/gu, ':')).toBe(before[i].text.replace(/\$(?=[\p{L}_])/gu, ':'));
      });
    }),
    { numRuns: 500 },
  );
});

test('a value that looks like code stays a value: no row leaks through a crafted filter', async () => {
  for (const hostile of HOSTILE) {
    const reader = await run('SELECT count(*) AS n FROM p.t WHERE c = :country', { country: hostile });
    expect(reader.getRowObjectsJS()).toEqual([{ n: 0n }]);
  }
});

test('a numeric value is cast by the engine where the code compares it with a number', async () => {
  const reader = await run('SELECT count(*) AS n FROM p.t HAVING count(*) >= :min', { min: '2' });
  expect(reader.getRowObjectsJS()).toEqual([{ n: 2n }]);
  await expect(run('SELECT count(*) AS n FROM p.t HAVING count(*) >= :min', { min: '2 OR 1=1' })).rejects.toThrow(/statement 1 of 1 \(line 1\) failed: \[CAST_INVALID_INPUT\] The value cannot be cast to bigint because it is malformed/);
});

test('a marker the job does not give fails the run naming it and what was given', async () => {
  await expect(run('SELECT :threshold', { output: 'gs://b/output/x' })).rejects.toThrow(
    'statement 1 of 1 (line 1) uses the parameter :threshold but the job does not give it (given: output); pass it in the job\'s --params JSON or add it to the code\'s default parameters',
  );
});

test('text substitution in the code is refused at run time too, before anything runs', async () => {
  await expect(run("SELECT '${a}'", { a: 'x' })).rejects.toThrow(/the code cannot run as SQL: line 1: \$\{a\} is text substitution/);
});
