/**
 * Local runs happen in their own process with a time, a memory and a result-row limit: submit returns while the
 * run goes on, and a run over a limit ends FAILED or TIMEDOUT with a message naming the limit, without touching
 * the process that submitted it.
 */
import type { DatasetRef, RunStatus } from '../../../src/engines/engine';
import { LocalEngine } from '../../../src/engines/local';
import { withLimits } from '../../../src/limits';
import { makeLocalRoot, readDeltaWithDuckDb, runSpec, writeSampleData, type LocalRoot } from './local-fixtures';

let local: LocalRoot;
let datasets: DatasetRef[];

beforeAll(async () => {
  local = await makeLocalRoot();
  datasets = await writeSampleData(local);
});

afterAll(() => local.cleanup());

async function untilEnded(engine: LocalEngine, runId: string, timeoutMs = 60_000): Promise<RunStatus> {
  const started = Date.now();
  for (;;) {
    const status = await engine.getRun(runId);
    if (status.lifeCycleState === 'TERMINATED' || status.lifeCycleState === 'INTERNAL_ERROR') return status;
    if (Date.now() - started > timeoutMs) throw new Error(`run ${runId} still ${status.lifeCycleState}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const spec = (name: string, sql: string) => runSpec(datasets, sql, { jobId: `job-${name}-${Date.now()}`, outputLocation: `gs://advertiser-bucket/output/${name}` });

test('submit returns while the run goes on in its own process; the run ends SUCCESS and its output is written', async () => {
  const engine = new LocalEngine({ localRoot: local.root });
  const { runId } = await engine.submit(spec('async', 'SELECT count(*) AS n FROM range(30000000) t(i) WHERE i % 7 = 0'));
  const first = await engine.getRun(runId);
  expect(first.lifeCycleState).toBe('RUNNING');
  const ended = await untilEnded(engine, runId);
  expect(ended).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' });
  expect(await readDeltaWithDuckDb(local.pathOf('advertiser-bucket', 'output/async'))).toEqual([{ n: String(Math.ceil(30_000_000 / 7)) }]);
});

test('a runaway query is stopped at the time limit: TIMEDOUT, naming the limit', async () => {
  const engine = new LocalEngine({ localRoot: local.root, limits: { timeoutMs: 1_500 } });
  const { runId } = await engine.submit(spec('runaway', 'SELECT count(*) AS n FROM range(100000000000000) t(i) WHERE i % 3 = 1'));
  const ended = await untilEnded(engine, runId);
  expect(ended.resultState).toBe('TIMEDOUT');
  expect(ended.error).toMatch(/exceeded its time limit of 1500 ms/);
});

test('a result over the row limit fails the run with the limit, without building it in memory', async () => {
  const engine = new LocalEngine({ localRoot: local.root, limits: { maxResultRows: 1000 }, waitForRuns: true });
  const { runId } = await engine.submit(spec('too_many_rows', 'SELECT i FROM range(30000000) t(i)'));
  const ended = await engine.getRun(runId);
  expect(ended).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED' });
  expect(ended.error).toBe("the result has more than 1000 rows, the limit of a job's output: aggregate or filter it (the output of a clean room job is meant to be a summary)");
});

test('a query over the engine memory limit fails the run with the engine error', async () => {
  const engine = new LocalEngine({ localRoot: local.root, limits: { memoryLimit: '64MB' }, waitForRuns: true });
  const { runId } = await engine.submit(spec('memory', "SELECT count(DISTINCT concat(CAST(i AS STRING), repeat('x', 40))) AS n FROM range(20000000) t(i)"));
  const ended = await engine.getRun(runId);
  expect(ended).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'FAILED' });
  expect(ended.error).toMatch(/Out of Memory Error/);
});

test('a worker that dies over its heap limit leaves a FAILED run naming the limits; the submitting process is unharmed', async () => {
  const engine = new LocalEngine({ localRoot: local.root, limits: { workerHeapMb: 48, maxResultRows: 5_000_000 }, waitForRuns: true });
  const { runId } = await engine.submit(spec('heap', "SELECT i, repeat('y', 200) AS s FROM range(3000000) t(i)"));
  const ended = await engine.getRun(runId);
  expect(ended.resultState).toBe('FAILED');
  expect(ended.error).toMatch(/worker process (was killed by SIG[A-Z]+|exited with code \d+) before the run ended, e.g. over its memory limits \(JavaScript heap 48 MiB, DuckDB 2048MiB\)/);
  expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
});

test("the clean room's limits (cleanroom.yaml `limits:`) set a run's limits", async () => {
  const engine = new LocalEngine({ localRoot: local.root, cleanroomLimits: withLimits({ localRunResultRows: 10 }), waitForRuns: true });
  const { runId } = await engine.submit(spec('configured_rows', 'SELECT id FROM range(11)'));
  expect((await engine.getRun(runId)).error).toMatch(/^the result has more than 10 rows, the limit of a job's output/);
});
