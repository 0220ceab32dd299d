/**
 * Databricks replaces `${name}` in SQL notebooks with the value as plain text, so a job parameter must not be able
 * to end its quotes or add clauses: such a run is refused before any request, with the reason; values that stay
 * inside their context run as usual, and non-SQL notebooks (widget values, never code) are not restricted.
 */
import { RunRefusedError } from '../../../src/engines/errors';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import { approvedCode, engineFor, runSpec } from './engine-fixtures';

const SQL = "SELECT count(*) FROM acme.customers WHERE country = '${country}' AND visits > ${min_visits}";

let fake: FakeDatabricks;
beforeEach(async () => {
  fake = await startFakeDatabricks();
});
afterEach(() => fake.close());

const spec = (parameters: Record<string, string>, language: 'SQL' | 'PYTHON' = 'SQL') =>
  runSpec({ code: approvedCode(SQL, { language }), parameters: { output: 'gs://globex-bucket/output/overlap', ...parameters } });

test.each([
  ['a quote ending the string', { country: "FR' OR '1'='1", min_visits: '3' }, /\$\{country\} .* cannot contain "'"/],
  ['a backslash escape', { country: 'FR\\', min_visits: '3' }, /\$\{country\} .* cannot contain "\\\\"/],
  ['clauses outside quotes', { country: 'FR', min_visits: '0 OR 1=1' }, /\$\{min_visits\} is used outside quotes/],
  ['a missing parameter', { country: 'FR' }, /uses parameter \$\{min_visits\} but the job does not give it/],
])('refuses %s before any request', async (_case, parameters, message) => {
  const { engine } = engineFor(fake);
  const refused = engine.submit(spec(parameters));
  await expect(refused).rejects.toBeInstanceOf(RunRefusedError);
  await expect(refused).rejects.toThrow(message);
  expect(fake.requests).toEqual([]);
});

test('values that stay inside their context run', async () => {
  const { engine } = engineFor(fake);
  await engine.submit(spec({ country: 'Côte d Ivoire', min_visits: '3' }));
  expect(fake.runs()).toHaveLength(1);
});

test('Python notebooks receive parameters as widget values, unrestricted', async () => {
  const { engine } = engineFor(fake);
  await engine.submit(spec({ country: "FR' OR '1'='1", min_visits: '0 OR 1=1' }, 'PYTHON'));
  expect(fake.runs()).toHaveLength(1);
});
