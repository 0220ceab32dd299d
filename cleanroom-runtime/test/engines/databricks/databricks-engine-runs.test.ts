import { DatabricksInputError, EngineUnavailableError, shouldPollRun } from '../../../src/engines/databricks';
import { startFakeDatabricks, type FakeDatabricks } from '../../support/fake-databricks';
import { engineFor, runSpec } from './engine-fixtures';

describe('DatabricksEngine.getRun', () => {
  let fake: FakeDatabricks;
  beforeEach(async () => {
    fake = await startFakeDatabricks({ statementPendingPolls: 0 });
  });
  afterEach(() => fake.close());

  it('follows the life cycle PENDING → RUNNING → TERMINATED(SUCCESS) with times and run page', async () => {
    const { engine } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());

    const pending = await engine.getRun(runId);
    expect(pending).toMatchObject({ runId, lifeCycleState: 'PENDING', stateMessage: 'Waiting for cluster' });
    expect(pending.resultState).toBeUndefined();
    expect(pending.endTime).toBeUndefined();

    fake.advanceRuns();
    const running = await engine.getRun(runId);
    expect(running.lifeCycleState).toBe('RUNNING');
    expect(running.startTime).toBeInstanceOf(Date);

    fake.advanceRuns();
    const done = await engine.getRun(runId);
    expect(done.lifeCycleState).toBe('TERMINATED');
    expect(done.resultState).toBe('SUCCESS');
    expect(done.endTime?.getTime()).toBe(fake.runs()[0].endTime);
    expect(done.runPageUrl).toBe(`${fake.host}/?o=1234567890#job/0/run/${runId}`);
    expect(done.error).toBeUndefined();
    expect(fake.requests.some((r) => r.path === '/api/2.1/jobs/runs/get-output')).toBe(false);
    expect(fake.requests.filter((r) => r.path === '/api/2.1/jobs/runs/get').map((r) => r.query))
      .toEqual([{ run_id: runId }, { run_id: runId }, { run_id: runId }]);
  });

  it('fetches error and error trace of a failed run from its task run', async () => {
    const { engine } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());
    fake.advanceRuns();
    fake.advanceRuns({
      resultState: 'FAILED',
      stateMessage: 'Task cleanroom_job failed with message: Workload failed',
      error: 'AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] acme.custmers',
      errorTrace: 'org.apache.spark.sql.AnalysisException: ...\n\tat line 1',
    });
    const status = await engine.getRun(runId);
    expect(status).toMatchObject({
      lifeCycleState: 'TERMINATED',
      resultState: 'FAILED',
      stateMessage: 'Task cleanroom_job failed with message: Workload failed',
      error: 'AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] acme.custmers',
      errorTrace: 'org.apache.spark.sql.AnalysisException: ...\n\tat line 1',
    });
    const output = fake.requests.find((r) => r.path === '/api/2.1/jobs/runs/get-output');
    expect(output?.query).toEqual({ run_id: String(fake.runs()[0].taskRunId) });
  });

  it('maps INTERNAL_ERROR and newer result states', async () => {
    const { engine } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());
    fake.setRunState(runId, { lifeCycleState: 'INTERNAL_ERROR', resultState: 'FAILED', stateMessage: 'Cluster launch failed', error: 'CLOUD_PROVIDER_LAUNCH_FAILURE' });
    expect(await engine.getRun(runId)).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', resultState: 'FAILED', error: 'CLOUD_PROVIDER_LAUNCH_FAILURE' });
    fake.setRunState(runId, { lifeCycleState: 'QUEUED' });
    expect((await engine.getRun(runId)).lifeCycleState).toBe('PENDING');
    fake.setRunState(runId, { lifeCycleState: 'TERMINATED', resultState: 'UPSTREAM_CANCELED' });
    expect((await engine.getRun(runId)).resultState).toBe('CANCELED');
  });

  it('turns an outage into EngineUnavailableError, never into a FAILED status', async () => {
    const { engine, waits } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());
    fake.injectFaults({ path: '/api/2.1/jobs/runs/get', status: 503, times: 100, retryAfter: 2 });
    const error = await engine.getRun(runId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(waits.slice(-3)).toEqual([2000, 2000, 2000]);
    expect(String(error)).not.toContain(fake.token);
  });

  it('propagates an outage of get-output too (the runtime keeps the last known state)', async () => {
    const { engine } = engineFor(fake);
    const { runId } = await engine.submit(runSpec());
    fake.setRunState(runId, { lifeCycleState: 'TERMINATED', resultState: 'FAILED', error: 'boom' });
    fake.injectFaults({ path: '/api/2.1/jobs/runs/get-output', status: 500, times: 100 });
    await expect(engine.getRun(runId)).rejects.toBeInstanceOf(EngineUnavailableError);
  });

  it('refuses a run id that is not a number before any request', async () => {
    await expect(engineFor(fake).engine.getRun('1&run_id=2')).rejects.toBeInstanceOf(DatabricksInputError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('shouldPollRun', () => {
  const now = new Date('2025-03-31T00:00:00Z');
  it('polls active runs and runs ended within the retention window only', () => {
    expect(shouldPollRun({ lifeCycleState: 'RUNNING' }, now, 30)).toBe(true);
    expect(shouldPollRun({ lifeCycleState: 'TERMINATED', endTime: new Date('2025-03-02T00:00:00Z') }, now, 30)).toBe(true);
    expect(shouldPollRun({ lifeCycleState: 'TERMINATED', endTime: new Date('2025-02-28T00:00:00Z') }, now, 30)).toBe(false);
  });
});
