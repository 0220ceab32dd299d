/**
 * An engine outage (EngineUnavailableError after the client's retries) during submission or polling: the job stays
 * pending without using up its submission attempts, a run keeps its last known state with a note, nothing is ever
 * marked FAILED; once the engine answers again the pass catches up. Real passes over a local clean room, the real
 * Databricks engine against the Databricks fake (faults injected there).
 */
import type { DatabricksEngine } from '../../src/engines/databricks';
import { MAX_SUBMIT_ATTEMPTS, ENGINE_UNREACHABLE_NOTE } from '../../src/processor/runs';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { startFakeDatabricks, type FakeDatabricks } from '../support/fake-databricks';
import { approveCode, databricksEngineOn, declareDatasetsAndCode, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const SUBMIT = '/api/2.1/jobs/runs/submit';
const GET = '/api/2.1/jobs/runs/get';
const ATTEMPTS = 2;

let room: LocalCleanRoom;
let databricks: FakeDatabricks;
let engine: DatabricksEngine;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine, now: room.now });

beforeEach(async () => {
  room = new LocalCleanRoom();
  databricks = await startFakeDatabricks();
  engine = databricksEngineOn(databricks, ATTEMPTS);
  await declareDatasetsAndCode(room, SQL);
  await pass();
});

afterEach(async () => {
  await databricks.close();
  room.cleanup();
});

async function approveAndSendJob(): Promise<string> {
  room.clock += 60_000;
  await approveCode(room, SQL);
  return sendCountJob(room);
}

describe('an engine outage never fails a run', () => {
  test('submission during an outage stays pending (no attempt used), then submits once when Databricks is back', async () => {
    const jobId = await approveAndSendJob();
    const outagePasses = MAX_SUBMIT_ATTEMPTS + 1;
    databricks.injectFaults({ path: SUBMIT, method: 'POST', status: 503, times: outagePasses * ATTEMPTS });
    for (let i = 0; i < outagePasses; i++) {
      const report = await pass();
      expect(report.submitted).toEqual([]);
      expect(report.submitFailures).toEqual([]);
      expect(report.errors).toEqual([expect.stringMatching(new RegExp(`submission of job ${jobId} postponed, the engine is unreachable`))]);
    }
    const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
    expect(state.runs).toEqual({});
    expect(state.pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 0 });
    expect(await room.read('advertiser-bucket', 'runs')).toEqual([]);

    const report = await pass();
    expect(report.submitted).toEqual([jobId]);
    expect(databricks.runs()).toHaveLength(1);
    expect(databricks.runs()[0].idempotencyToken).toBe(jobId);
  });

  test('polling during an outage keeps the last known state with a note; the next successful poll replaces it', async () => {
    const jobId = await approveAndSendJob();
    await pass();
    const [run] = databricks.runs();
    databricks.setRunState(run.runId, { lifeCycleState: 'RUNNING', stateMessage: 'In run' });
    await pass();
    expect(await room.read('advertiser-bucket', 'runs')).toEqual([expect.objectContaining({ job_id: jobId, state: 'RUNNING', state_message: 'In run' })]);

    databricks.setRunState(run.runId, { lifeCycleState: 'TERMINATED', resultState: 'SUCCESS', stateMessage: '' });
    databricks.injectFaults({ path: GET, method: 'GET', status: 502, times: 2 * ATTEMPTS });
    for (let i = 0; i < 2; i++) {
      const report = await pass();
      expect(report.errors).toEqual([expect.stringMatching(new RegExp(`could not poll run ${run.runId}: Databricks GET ${GET} unavailable`))]);
    }
    const [kept] = await room.read('advertiser-bucket', 'runs');
    expect(kept).toMatchObject({ job_id: jobId, state: 'RUNNING', result_state: null, state_message: ENGINE_UNREACHABLE_NOTE });

    await pass();
    const [done] = await room.read('advertiser-bucket', 'runs');
    expect(done).toMatchObject({ job_id: jobId, state: 'TERMINATED', result_state: 'SUCCESS', state_message: null });
  });
});
