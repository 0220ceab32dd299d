/**
 * The local engine end to end over real files: datasets of two participants in parquet, csv, json (and delta),
 * approved SQL run in the DuckDB sandbox, the result written as a Delta table, runs recorded durably.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DatasetRef, RunSpec } from '../../../src/engines/engine';
import { DeltaTable, struct } from '../../../src/delta';
import { LocalEngine, RunRecordStore, runIdFor } from '../../../src/engines/local';
import { LocalObjectStore } from '../../../src/storage/local-store';
import { makeLocalRoot, readDeltaWithDuckDb, runSpec, writeSampleData, type LocalRoot } from './local-fixtures';

const JOIN_SQL = `
  CREATE TEMP TABLE matched AS
    SELECT u.country, c.campaign_id, c.amount
    FROM publisher.users u JOIN advertiser.conversions c ON u.user_id = c.user_id;
  SELECT m.country, k.title, count(*) AS conversions, sum(m.amount) AS revenue
  FROM matched m JOIN advertiser.campaigns k USING (campaign_id)
  WHERE m.amount >= :min_amount AND m.country <> :excluded_country
  GROUP BY ALL ORDER BY m.country, k.title`;

let local: LocalRoot;
let datasets: DatasetRef[];

beforeAll(async () => {
  local = await makeLocalRoot();
  datasets = await writeSampleData(local);
});

afterAll(() => local.cleanup());

const readDeltaTable = readDeltaWithDuckDb;

function joinSpec(overrides: Partial<RunSpec> = {}): RunSpec {
  const spec = runSpec(datasets, JOIN_SQL, overrides);
  return { ...spec, parameters: { min_amount: '2', excluded_country: 'IT', output: spec.outputLocation, ...overrides.parameters } };
}

describe('LocalEngine', () => {
  test('joins and groups two participants\' datasets and writes the result as a Delta table', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const spec = joinSpec({ outputLocation: 'gs://advertiser-bucket/output/by_country' });
    const { runId } = await engine.submit(spec);
    const status = await engine.getRun(runId);
    expect(status).toMatchObject({ runId, lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' });
    expect(status.runPageUrl).toMatch(/^file:\/\/.*\.log$/);
    const rows = await readDeltaTable(local.pathOf('advertiser-bucket', 'output/by_country'));
    // users 1 (FR, c1 10.5 + c2 4.5) and 3 (FR, c1 7.0); user 4 is IT (excluded); user 9 has no match.
    expect(rows).toEqual([
      { country: 'FR', title: 'Spring sale', conversions: '2', revenue: 17.5 },
      { country: 'FR', title: 'Summer sale', conversions: '1', revenue: 4.5 },
    ]);
  });

  test('reads a partitioned Delta dataset (partition columns restored from the log)', async () => {
    const store = new LocalObjectStore(local.root);
    const schema = struct([['user_id', 'long'], ['segment', 'string'], ['day', 'date']]);
    const table = await DeltaTable.create(store, 'publisher-bucket', 'data/segments', schema, { partitionColumns: ['segment'] });
    await table.append([
      { user_id: 1n, segment: 'sports', day: '2024-05-01' },
      { user_id: 3n, segment: 'news', day: '2024-05-02' },
      { user_id: 4n, segment: 'sports', day: '2024-05-03' },
      { user_id: 2n, segment: null, day: '2024-05-04' },
    ]);
    const segments: DatasetRef = { participant: 'publisher', table: 'segments', location: 'gs://publisher-bucket/data/segments', format: 'delta' };
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const sql = `SELECT coalesce(s.segment, 'none') AS segment, count(DISTINCT s.user_id) AS users, sum(c.amount) AS revenue, max(s.day) AS last_day
                 FROM publisher.segments s LEFT JOIN advertiser.conversions c USING (user_id) GROUP BY 1 ORDER BY 1`;
    const status = await engine.getRun((await engine.submit(runSpec([...datasets, segments], sql, { outputLocation: 'gs://advertiser-bucket/output/segments' }))).runId);
    expect(status.error).toBeUndefined();
    // Read back with src/delta too: the output is a real Delta table with the mapped schema.
    const output = await DeltaTable.open(store, 'advertiser-bucket', 'output/segments');
    expect((await output.snapshot()).schema.fields.map((f) => [f.name, f.type])).toEqual([
      ['segment', 'string'], ['users', 'long'], ['revenue', 'double'], ['last_day', 'date'],
    ]);
    expect(await output.readRows()).toEqual([
      { segment: 'news', users: 1n, revenue: 7, last_day: '2024-05-02' },
      { segment: 'none', users: 1n, revenue: null, last_day: '2024-05-04' },
      { segment: 'sports', users: 2n, revenue: 16, last_day: '2024-05-03' },
    ]);
  });

  test('an output location holding a table with other columns is not overwritten', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const first = runSpec(datasets, 'SELECT 1 AS a', { outputLocation: 'gs://advertiser-bucket/output/shape' });
    expect((await engine.getRun((await engine.submit(first)).runId)).resultState).toBe('SUCCESS');
    const second = runSpec(datasets, "SELECT 'x' AS b", { outputLocation: 'gs://advertiser-bucket/output/shape' });
    const status = await engine.getRun((await engine.submit(second)).runId);
    expect(status.error).toMatch(/already holds a Delta table with other columns \(a integer\) than this result \(b string\)/);
    expect(await readDeltaTable(local.pathOf('advertiser-bucket', 'output/shape'))).toEqual([{ a: 1 }]);
  });

  test('parameters change the result', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const spec = joinSpec({ outputLocation: 'gs://advertiser-bucket/output/params', parameters: { min_amount: '5', excluded_country: 'FR' } });
    await engine.submit(spec);
    const rows = await readDeltaTable(local.pathOf('advertiser-bucket', 'output/params'));
    expect(rows).toEqual([]);
    const spec2 = joinSpec({ outputLocation: 'gs://advertiser-bucket/output/params', parameters: { min_amount: '0', excluded_country: 'FR' } });
    const { runId } = await engine.submit(spec2);
    expect((await engine.getRun(runId)).resultState).toBe('SUCCESS');
    // Overwritten, not appended: only IT's conversion remains.
    expect(await readDeltaTable(local.pathOf('advertiser-bucket', 'output/params'))).toEqual([
      { country: 'IT', title: 'Summer sale', conversions: '1', revenue: 1 },
    ]);
  });

  test('a missing parameter fails the run naming it', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const spec = runSpec(datasets, 'SELECT * FROM publisher.users WHERE country = :country');
    const status = await engine.getRun((await engine.submit(spec)).runId);
    expect(status).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED' });
    expect(status.error).toMatch(/uses the parameter :country but the job does not give it/);
  });

  test('a second submit of the same job returns the same run and does not run it again', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const now = () => new Date((clock += 1000));
    const engine = new LocalEngine({ localRoot: local.root, now, waitForRuns: true });
    const spec = joinSpec({ outputLocation: 'gs://advertiser-bucket/output/idempotent' });
    const first = await engine.submit(spec);
    expect(first.runId).toBe(runIdFor(spec.jobId));
    const before = await engine.getRun(first.runId);
    const log = await fs.readFile(new URL(before.runPageUrl as string), 'utf8');

    const again = await new LocalEngine({ localRoot: local.root, now, waitForRuns: true }).submit(spec);
    expect(again).toEqual(first);
    const after = await engine.getRun(first.runId);
    expect(after.startTime).toEqual(before.startTime);
    expect(after.endTime).toEqual(before.endTime);
    expect(await fs.readFile(new URL(after.runPageUrl as string), 'utf8')).toBe(log);
    const versions = (await fs.readdir(path.join(local.pathOf('advertiser-bucket', 'output/idempotent'), '_delta_log'))).filter((f) => f.endsWith('.json'));
    // Version 0 creates the table, version 1 is the run's one write; nothing more.
    expect(versions).toHaveLength(2);
  });

  test('a run left RUNNING by a process that died is reported failed, not run again', async () => {
    const stateDir = path.join(local.root, 'engine');
    const spec = joinSpec({ outputLocation: 'gs://advertiser-bucket/output/crashed' });
    const runId = runIdFor(spec.jobId);
    const store = new RunRecordStore(stateDir);
    // Written as a crashed process would leave it: RUNNING, owned by a process that no longer exists.
    await store.claim({
      runId, jobId: spec.jobId, jobName: spec.jobName, participant: spec.participant, codeName: spec.code.name,
      codeHash: spec.code.hash, lifeCycleState: 'RUNNING', submittedAt: '2030-01-01T00:00:00.000Z',
      startTime: '2030-01-01T00:00:01.000Z', runPageUrl: store.logUrl(runId),
      owner: { pid: 2 ** 22 + 12345, hostname: require('node:os').hostname(), token: 'dead' },
    });
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    expect(await engine.submit(spec)).toEqual({ runId });
    const status = await engine.getRun(runId);
    expect(status).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', resultState: 'FAILED' });
    expect(status.error).toMatch(/stopped before the run ended, .*; it is not run again automatically/);
    await expect(fs.stat(local.pathOf('advertiser-bucket', 'output/crashed'))).rejects.toThrow(/ENOENT/);
  });

  test('a failing statement gives a FAILED run with error and trace, times and a log', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const { runId } = await engine.submit(runSpec(datasets, 'SELECT 1 AS a;\nSELECT no_such_column FROM publisher.users'));
    const status = await engine.getRun(runId);
    expect(status).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED' });
    expect(status.error).toMatch(/^statement 2 of 2 \(line \d+\) failed: Binder Error: .*no_such_column/);
    expect(status.errorTrace).toMatch(/^statement 2 of 2 \(line 2\):\nBinder Error: .*\n[\s\S]*LINE 1: SELECT no_such_column/);
    expect(status.startTime).toBeInstanceOf(Date);
    expect(status.endTime!.getTime()).toBeGreaterThanOrEqual(status.startTime!.getTime());
    const log = await fs.readFile(new URL(status.runPageUrl as string), 'utf8');
    expect(log).toMatch(/sandbox locked/);
    expect(log).toMatch(/FAILED: statement 2 of 2 \(line \d+\) failed/);
    expect(log).not.toContain(local.root);
  });

  test('the last statement must be a query', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const status = await engine.getRun((await engine.submit(runSpec(datasets, 'CREATE TABLE t AS SELECT 1 AS a'))).runId);
    expect(status.error).toMatch(/last statement must be a query .* it is CREATE/);
  });

  test('result columns Delta cannot name are refused with a hint', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const status = await engine.getRun((await engine.submit(runSpec(datasets, 'SELECT count(*) FROM publisher.users'))).runId);
    expect(status.error).toMatch(/result column "count_star\(\)" .*give it an alias/);
  });

  test.each(['PYTHON', 'SCALA', 'R'] as const)('%s code fails naming the Databricks engine', async (language) => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    const status = await engine.getRun((await engine.submit(runSpec(datasets, 'print(1)', { language }))).runId);
    expect(status).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED' });
    expect(status.error).toMatch(new RegExp(`^${language} code needs the Databricks engine: the local engine runs SQL only`));
  });

  test('getRun of an unknown run says so', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    await expect(engine.getRun(runIdFor('never-submitted'))).rejects.toThrow(/has no run local-[0-9a-f]{16}/);
    await expect(engine.getRun('../../etc/passwd')).rejects.toThrow(/not a local engine run id/);
  });

  test('syncDatasets records the list', async () => {
    const engine = new LocalEngine({ localRoot: local.root, waitForRuns: true });
    await engine.syncDatasets(datasets);
    expect(engine.datasets).toEqual(datasets);
  });
});
