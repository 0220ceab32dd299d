/**
 * The runner notebook (src/engines/databricks/runner/cleanroom_runner.py) reads approved SQL exactly as the runtime
 * does. Both readings are held to the shared corpus (test/sql/sql-reading-corpus.json), and to each other on
 * generated sources built from the characters that decide where code is. The runner's own tests (statement order,
 * binding, the final write, input versions) run here with python3 against a stub Spark session.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { readSqlCode } from '../../../src/sql/sql-code';

const RUNNER_TESTS = path.join(__dirname, 'runner');
const CORPUS = path.join(__dirname, '..', '..', 'sql', 'sql-reading-corpus.json');

interface CorpusCase {
  name: string;
  source: string;
  statements: unknown[];
  widgets: unknown[];
}

function typescriptReading(source: string): { statements: unknown[]; widgets: unknown[] } {
  const code = readSqlCode(source);
  return { statements: code.statements, widgets: code.widgets.map((w) => ({ name: w.name, default: w.defaultValue, line: w.line })) };
}

function pythonReadings(sources: string[]): unknown[] {
  const result = spawnSync('python3', [path.join(RUNNER_TESTS, 'read_sql.py')], { input: JSON.stringify(sources), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python3 read_sql.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown[];
}

describe('the runner notebook', () => {
  test("its python tests pass (statement order, binding only each statement's markers, the final write, input versions)", () => {
    const result = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', RUNNER_TESTS, '-p', 'test_*.py', '-v'], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    expect({ status: result.status, output }).toEqual({ status: 0, output: expect.stringMatching(/\nOK\s*$/) });
    expect(output).toMatch(/Ran (\d{2,}) tests/);
  });

  test('the shared corpus is what the runtime reads (readSqlCode)', () => {
    const cases = JSON.parse(readFileSync(CORPUS, 'utf8')) as CorpusCase[];
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const c of cases) expect({ name: c.name, ...typescriptReading(c.source) }).toEqual({ name: c.name, statements: c.statements, widgets: c.widgets });
  });

  test('reads generated sources exactly as readSqlCode does', () => {
    const pieces = [
      ';', ':', '::', ':a', ':_x1', ':été', ':\u{1D431}', "'", '"', '\\', '`', '``', 'r', 'R', '--', '/*', '*/', '/*+', '\n', '\r', '\r\n',
      ' ', '\t', '\u00a0', '\u3000', '\u2028', '\u001c', '\uFEFF', '-- COMMAND ----------', 'SELECT', 'CREATE WIDGET TEXT', 'w', 'DEFAULT',
      '"v"', 'REMOVE WIDGET', 'x', '1', 'é', '名',
    ];
    const sources = fc.sample(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join('')), { numRuns: 1500, seed: 20240506 });
    const python = pythonReadings(sources);
    sources.forEach((source, i) => expect({ source, reading: python[i] }).toEqual({ source, reading: typescriptReading(source) }));
  });
});
