/**
 * The local engine's SQL sandbox: approved SQL sees only the registered datasets, and cannot read or write
 * files, reach the network, load extensions, attach databases or change settings. Each escape attempt must end
 * the run FAILED with an error that says what was refused.
 */
import { promises as fs } from 'node:fs';
import type { DatasetRef, RunStatus } from '../../../src/engines/engine';
import { LocalEngine } from '../../../src/engines/local';
import { makeLocalRoot, readDeltaWithDuckDb, runSpec, writeSampleData, type LocalRoot } from './local-fixtures';

let local: LocalRoot;
let datasets: DatasetRef[];
let engine: LocalEngine;

beforeAll(async () => {
  local = await makeLocalRoot();
  datasets = await writeSampleData(local);
  // A file in the publisher's bucket that is NOT a registered dataset.
  await local.writeWithDuckDb(`COPY (SELECT 'secret' AS s) TO '{{publisher-bucket/private/raw.parquet}}' (FORMAT parquet)`);
  engine = new LocalEngine({ localRoot: local.root, limits: { timeoutMs: 20_000 }, waitForRuns: true });
});

afterAll(() => local.cleanup());

function readOutput(name: string): Promise<Array<Record<string, unknown>>> {
  return readDeltaWithDuckDb(local.pathOf('advertiser-bucket', `output/${name}`));
}

async function run(sql: string, outputName = 'result'): Promise<RunStatus> {
  const { runId } = await engine.submit(runSpec(datasets, sql, { outputLocation: `gs://advertiser-bucket/output/${outputName}` }));
  return engine.getRun(runId);
}

async function expectFailure(sql: string, error: RegExp): Promise<RunStatus> {
  const status = await run(sql);
  expect(status).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED' });
  expect(status.error).toMatch(error);
  // Never the host location of the local root.
  expect(status.error).not.toContain(local.root);
  expect(status.errorTrace ?? '').not.toContain(local.root);
  return status;
}

const DISABLED = /disabled by configuration|not available in the clean room|refused/i;

describe('file access', () => {
  test('reading a file of the machine fails', async () => {
    await expectFailure(`SELECT * FROM read_csv('/etc/passwd')`, /Cannot access file "\/etc\/passwd".*disabled by configuration/);
  });

  test('reading an unregistered file inside a participant bucket fails, even by its exact path', async () => {
    const other = local.pathOf('publisher-bucket', 'private/raw.parquet');
    await expectFailure(`SELECT * FROM read_parquet('${other}')`, /disabled by configuration/);
    await expectFailure(`SELECT * FROM '${other}'`, /disabled by configuration/);
  });

  test('globbing, read_text and replacement scans of files fail', async () => {
    await expectFailure(`SELECT * FROM glob('/etc/*')`, /disabled by configuration/);
    await expectFailure(`SELECT * FROM read_text('/etc/hostname')`, /disabled by configuration/);
  });

  test('COPY ... TO is refused', async () => {
    const target = local.pathOf('advertiser-bucket', 'output/stolen.csv');
    // DuckDB checks the target already when preparing; the statement policy would refuse it next.
    await expectFailure(`COPY publisher.users TO '${target}'; SELECT 1 AS x`, /statement 1 of 2 \(line \d+\) (is refused: COPY|failed: .*disabled by configuration)/);
    await expectFailure(`COPY (SELECT 1) TO '/tmp/x.csv'; SELECT 1 AS x`, /statement 1 of 2 \(line \d+\) (is refused: COPY|failed: .*disabled by configuration)/);
    await expectFailure(`EXPORT DATABASE '${local.root}/dump'; SELECT 1 AS x`, /refused: EXPORT|disabled by configuration/);
  });

  test('a table function writing files through CREATE TABLE AS is stopped by the sandbox', async () => {
    await expectFailure(`CREATE TABLE t AS SELECT * FROM read_json_auto('/proc/self/environ'); SELECT * FROM t`, /disabled by configuration/);
  });
});

describe('databases, extensions and network', () => {
  test('ATTACH and DETACH are refused', async () => {
    await expectFailure(`ATTACH '${local.root}/other.duckdb' AS other; SELECT 1 AS x`, /refused: ATTACH opens other databases/);
    await expectFailure(`ATTACH ':memory:' AS m; SELECT 1 AS x`, /refused: ATTACH/);
  });

  test('INSTALL and LOAD are refused', async () => {
    await expectFailure(`INSTALL httpfs; SELECT 1 AS x`, /refused: INSTALL\/LOAD/);
    await expectFailure(`LOAD '/tmp/evil.duckdb_extension'; SELECT 1 AS x`, /refused: INSTALL\/LOAD/);
  });

  test('URLs cannot be read', async () => {
    await expectFailure(`SELECT * FROM read_csv('https://example.com/data.csv')`, /disabled by configuration/);
    await expectFailure(`SELECT * FROM read_parquet('s3://bucket/key.parquet')`, DISABLED);
  });

  test('CREATE SECRET cannot create a usable secret', async () => {
    await expectFailure(`CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b'); SELECT 1 AS x`, /s3.*does not exist|not available|disabled/i);
  });
});

describe('settings', () => {
  test.each([
    ['SET enable_external_access = true', /refused: SET\/RESET\/USE change the engine configuration/],
    ['RESET enable_external_access', /refused: SET\/RESET/],
    ['SET lock_configuration = false', /refused: SET\/RESET/],
    ['PRAGMA enable_profiling', /refused: PRAGMA/],
    ["CALL enable_logging(storage = 'file', storage_path = '/tmp/x')", /refused: CALL/],
    ['PREPARE p AS SELECT 1', /refused: PREPARE/],
  ])('%s is refused', async (statement, error) => {
    await expectFailure(`${statement}; SELECT 1 AS x`, error);
  });

  test('the sandbox runs with external access off and the configuration locked', async () => {
    const status = await run(
      `SELECT current_setting('enable_external_access')::VARCHAR AS external_access, current_setting('lock_configuration')::VARCHAR AS locked, ` +
        `current_setting('autoload_known_extensions')::VARCHAR AS autoload, current_setting('temp_directory')::VARCHAR AS temp_directory`,
      'settings',
    );
    expect(status.resultState).toBe('SUCCESS');
    const rows = await readOutput('settings');
    expect(rows).toEqual([{ external_access: 'false', locked: 'true', autoload: 'false', temp_directory: '' }]);
  });
});

describe('visibility', () => {
  test('an unregistered dataset does not exist in the sandbox', async () => {
    await expectFailure(`SELECT * FROM publisher.raw`, /Table with name raw does not exist/);
  });

  test('getenv is not available', async () => {
    await expectFailure(`SELECT getenv('HOME') AS home`, /getenv does not exist/);
  });

  test('a dataset that cannot be loaded explains why when a query needs it', async () => {
    const broken: DatasetRef = { participant: 'publisher', table: 'events', location: 'gs://publisher-bucket/data/events.avro', format: 'avro' };
    const { runId } = await engine.submit(runSpec([...datasets, broken], `SELECT count(*) AS n FROM publisher.events`));
    const status = await engine.getRun(runId);
    expect(status.resultState).toBe('FAILED');
    expect(status.error).toMatch(/Table with name events does not exist/);
    expect(status.error).toMatch(/dataset publisher.events \(avro at gs:\/\/publisher-bucket\/data\/events.avro\) could not be loaded: .*(cannot read avro|nothing exists)/);
  });

  test('dataset names that are not plain SQL names are refused, not interpolated', async () => {
    const evil: DatasetRef = { participant: 'publisher', table: 'x"; DROP TABLE y; --', location: 'gs://publisher-bucket/data/users', format: 'parquet' };
    const { runId } = await engine.submit(runSpec([...datasets, evil], `SELECT count(*) AS n FROM publisher.users`, { outputLocation: 'gs://advertiser-bucket/output/count' }));
    const status = await engine.getRun(runId);
    expect(status.resultState).toBe('SUCCESS');
    const log = await fs.readFile(new URL(status.runPageUrl as string), 'utf8');
    expect(log).toMatch(/not loaded: dataset publisher.x"; DROP TABLE y; -- .*table name "x\\"; DROP TABLE y; --" must match/);
    expect(await readOutput('count')).toEqual([{ n: '4' }]);
  });
});
