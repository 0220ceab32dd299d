/**
 * The seed's SQL code template (github.com/christophergrant/clean-notebooks, code_templates/code_template_sql.sql)
 * registered as the seed's register_code sends it: a Databricks SQL notebook with markdown cells, a `CREATE WIDGET`
 * for `output`, temporary views, and a result written by the code itself to ``delta.`$output` `` (CREATE TABLE ...
 * LIMIT 0, then INSERT INTO). It is refused with every fix named; the README's rewritten form registers and runs
 * on the local engine.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../../src/engines/local/sandbox';
import { runSql } from '../../src/engines/local/sql-runner';
import { ADVERTISER, Harness, KEEPER, seed } from '../processor/fixtures';

/** A notebook of the template's shape (cells, widget, views, the two writes), in the words of this test. */
const TEMPLATE_SHAPED = [
  '-- Databricks notebook source',
  '-- MAGIC %md',
  '-- MAGIC ### Parameters. The output parameter is required: where the results go',
  '',
  '-- COMMAND ----------',
  '',
  '--REMOVE WIDGET output;',
  'CREATE WIDGET TEXT output DEFAULT "";',
  '',
  '-- COMMAND ----------',
  '',
  '-- MAGIC %md',
  '-- MAGIC ### Computations, in temporary views',
  '',
  '-- COMMAND ----------',
  '',
  'CREATE OR REPLACE TEMP VIEW joined AS',
  'SELECT u.country, c.amount',
  'FROM publisher.users u, advertiser.conversions c',
  'WHERE c.user_id = u.user_id',
  '',
  '-- COMMAND ----------',
  '',
  '-- MAGIC %md',
  '-- MAGIC ### Write the results to the output location',
  '',
  '-- COMMAND ----------',
  '',
  'CREATE TABLE IF NOT EXISTS delta.`$output` AS',
  'SELECT * FROM joined',
  'LIMIT 0;',
  'INSERT INTO delta.`$output`',
  'SELECT * FROM joined;',
  '',
].join('\n');

/** The SQL block the README shows after `<!-- seed-sql-template -->`. */
function readmeTemplate(): string {
  const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
  const block = /<!-- seed-sql-template -->\n```sql\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no SQL block after <!-- seed-sql-template -->');
  return block[1];
}

test("the template as the seed's register_code sends it is refused, naming every fix once with its lines", () => {
  const h = new Harness();
  const outcome = h.send(ADVERTISER, seed.code('seed_template', 'INSERT', TEMPLATE_SHAPED, { language: 'SQL' }));
  expect(outcome.status).toBe('ERROR');
  expect(outcome.message).toBe(
    "the SQL code cannot be registered: lines 29, 32: the statement writes its result to a path (delta.`...`): the clean room itself writes the rows of the code's last query to the job's output location; remove the statement and end the code with that query (e.g. SELECT * FROM my_view)",
  );
  expect(h.state.code).toEqual({});
});

test('each fix is named on its own: a path write of another kind, $name text, and a last statement that is not a query', () => {
  const h = new Harness();
  const code = [
    'CREATE WIDGET TEXT country DEFAULT "FR";',
    "CREATE TEMP VIEW v AS SELECT * FROM publisher.users WHERE country = '$country';",
    "INSERT OVERWRITE parquet.`gs://advertiser-bucket/output/x` SELECT * FROM v;",
    'CACHE TABLE v',
  ].join('\n');
  expect(h.send(ADVERTISER, seed.code('several', 'INSERT', code)).message).toBe(
    'the SQL code cannot be registered: line 2: $country is text substitution, which can rewrite the code: write the named parameter marker :country in place of the quoted text (a bound value is already a string); ' +
      "line 3: the statement writes its result to a path (delta.`...`): the clean room itself writes the rows of the code's last query to the job's output location; remove the statement and end the code with that query (e.g. SELECT * FROM my_view); " +
      "line 4: the last statement is CACHE: SQL code ends with the query (SELECT ...) whose rows are the job's output, which the clean room writes to the output location",
  );
});

test("the README's rewritten template registers (its widget's default becomes a default parameter) and runs on the local engine", async () => {
  const source = readmeTemplate();
  const h = new Harness();
  const outcome = h.send(ADVERTISER, seed.code('seed_template', 'INSERT', source));
  expect(outcome.status).toBe('SUCCESS');
  expect(h.state.code.seed_template.defaultParameters).toBe('{"min_buyers":"5"}');
  expect(h.send(KEEPER, seed.code('keeper_template', 'INSERT', source)).status).toBe('SUCCESS');

  const sandbox = await Sandbox.open();
  try {
    const c = sandbox.connection;
    await c.run('CREATE SCHEMA publisher; CREATE SCHEMA advertiser');
    await c.run("CREATE TABLE publisher.users AS SELECT * FROM (VALUES ('a', 'sports'), ('b', 'sports'), ('c', 'travel'), ('d', 'sports'), ('e', 'travel')) v(email_sha256, segment)");
    await c.run("CREATE TABLE advertiser.conversions AS SELECT * FROM (VALUES ('a', 10.0::DOUBLE), ('a', 2.5::DOUBLE), ('b', 4.0::DOUBLE), ('c', 1.0::DOUBLE), ('d', 3.0::DOUBLE)) v(email_sha256, order_value)");
    await sandbox.lock();
    const run = async (parameters: Record<string, string>) =>
      (await runSql(c, source, { timeoutMs: 20_000, parameters })).getRowObjectsJS().map((r) => [r.segment, Number(r.buyers), r.revenue]);
    // The job's parameters over the defaults, as the clean room merges them; output and run_time are given to every run.
    const given = { ...JSON.parse(h.state.code.seed_template.defaultParameters), output: 'gs://advertiser-bucket/output/x', run_time: '2026-01-15T09:00:00.000Z' };
    expect(await run({ ...given, min_buyers: '1' })).toEqual([['sports', 3, 19.5], ['travel', 1, 1]]);
    expect(await run({ ...given, min_buyers: '2' })).toEqual([['sports', 3, 19.5]]);
    expect(await run(given)).toEqual([]);
  } finally {
    sandbox.close();
  }
});
