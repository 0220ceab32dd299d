/**
 * A run the engine no longer knows (Databricks keeps run history for a limited time; a local run record deleted):
 * both engines say so with RunNotFoundError; once the run is older than the run history retention window, the
 * runtime closes it as INTERNAL_ERROR with a message that says so, and stops polling it. Before that, and during
 * outages, it is only reported. Real passes, the real Databricks engine against the Databricks fake (a fresh fake
 * is a workspace that has forgotten every run).
 */
import type { DatabricksEngine } from '../../src/engines/databricks';
import { RunNotFoundError } from '../../src/engines/errors';
import { LocalEngine } from '../../src/engines/local';
import { runIdFor } from '../../src/engines/local/run-records';
import { UNKNOWN_TO_ENGINE_NOTE } from '../../src/processor/runs';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { approveCode, databricksEngineOn, declareDatasetsAndCode, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const GET = '/api/2.1/jobs/runs/get';
const DAY_MS = 24 * 60 * 60 * 1000;

let room: LocalCleanRoom;
let databricks: FakeDatabricks;
let engine: DatabricksEngine;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine, now: room.now });
const runOf = async (jobId: string) => (await loadLatestState(room.store, SETTINGS.stateBucket)).state.runs[jobId];

async function connect(): Promise<void> {
  databricks = await startFakeDatabricks();
  engine = databricksEngineOn(databricks, 2);
}

beforeEach(async () => {
  room = new LocalCleanRoom();
  await connect();
  await declareDatasetsAndCode(room, SQL);
  await pass();
});

afterEach(async () => {
  await databricks.close();
  room.cleanup();
});

/** Submits a job whose run stays PENDING in Databricks, then loses the workspace's memory of it. */
async function activeRunForgottenByDatabricks(): Promise<{ jobId: string; runId: string }> {
  room.clock += 60_000;
  await approveCode(room, SQL);
  const jobId = await sendCountJob(room);
  expect((await pass()).submitted).toEqual([jobId]);
  const run = await runOf(jobId);
  expect(run.lifeCycleState).toBe('PENDING');
  await databricks.close();
  await connect();
  return { jobId, runId: run.runId };
}

test('both engines report a run they do not know with RunNotFoundError', async () => {
  await expect(engine.getRun('987654321')).rejects.toBeInstanceOf(RunNotFoundError);
  await expect(engine.getRun('987654321')).rejects.toThrow(/Databricks does not know run 987654321: .*does not exist/);
  const local = new LocalEngine({ localRoot: room.root, waitForRuns: true });
  await expect(local.getRun(runIdFor('never-submitted'))).rejects.toBeInstanceOf(RunNotFoundError);
});

test('within the retention window a forgotten run is only reported; past it, it is closed and no longer polled', async () => {
  const { jobId, runId } = await activeRunForgottenByDatabricks();
  room.clock += 5 * DAY_MS;
  const early = await pass();
  expect(early.errors).toEqual([expect.stringContaining(`could not poll run ${runId}: Databricks does not know run ${runId}`)]);
  expect((await runOf(jobId)).lifeCycleState).toBe('PENDING');

  room.clock += SETTINGS.runHistoryRetentionDays * DAY_MS;
  const late = await pass();
  expect(late.errors).toEqual([expect.stringContaining(`run ${runId} of job ${jobId} closed as INTERNAL_ERROR and no longer polled`)]);
  const closed = await runOf(jobId);
  expect(closed).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', resultState: null, endTime: room.clock });
  expect(closed.stateMessage).toMatch(new RegExp(`^${UNKNOWN_TO_ENGINE_NOTE} .*submitted 35 days ago, longer than the 30 days of run history kept`));
  expect(await room.read('advertiser-bucket', 'runs')).toEqual([
    expect.objectContaining({ job_id: jobId, state: 'INTERNAL_ERROR', result_state: null, state_message: closed.stateMessage }),
  ]);

  const polled = databricks.requests.filter((r) => r.path === GET).length;
  room.clock += DAY_MS;
  const after = await pass();
  expect(after.errors).toEqual([]);
  expect(after.runsPolled).toBe(0);
  expect(databricks.requests.filter((r) => r.path === GET).length).toBe(polled);
});

test('an outage past the retention window never closes a run', async () => {
  const { jobId } = await activeRunForgottenByDatabricks();
  room.clock += (SETTINGS.runHistoryRetentionDays + 1) * DAY_MS;
  databricks.injectFaults({ path: GET, method: 'GET', status: 503, times: 2 });
  const report = await pass();
  expect(report.errors).toEqual([expect.stringMatching(/could not poll run .*unavailable/)]);
  expect((await runOf(jobId)).lifeCycleState).toBe('PENDING');
});
