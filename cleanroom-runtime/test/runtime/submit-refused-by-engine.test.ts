/**
 * An engine that answers "this run will never start as it is" (RunRefusedError, e.g. a parameter that would
 * rewrite approved SQL under Databricks' textual substitution) is not an outage and not worth retrying: the job
 * gets one FAILED run that says why, at once, and no further submission.
 */
import { RunRefusedError } from '../../src/engines/errors';
import type { ExecutionEngine, RunSpec } from '../../src/engines/engine';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { readyForJob, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';

class RefusingEngine implements ExecutionEngine {
  readonly name = 'databricks' as const;
  submits = 0;
  async syncDatasets(): Promise<void> {}
  async submit(_spec: RunSpec): Promise<{ runId: string }> {
    this.submits++;
    throw new RunRefusedError('the run was not started: parameter ${country} cannot contain "\'"');
  }
  async getRun(): Promise<never> {
    throw new Error('no run was started');
  }
}

let room: LocalCleanRoom;
afterEach(() => room.cleanup());

test('a refused run is FAILED once with the reason, never retried', async () => {
  room = new LocalCleanRoom();
  const engine = new RefusingEngine();
  const pass = () => runPass({ config: SETTINGS, store: room.store, engine, now: room.now });
  await readyForJob(room, SQL, pass);
  const jobId = await sendCountJob(room);

  const report = await pass();
  expect(report.submitFailures).toEqual([{ jobId, error: expect.stringContaining('cannot contain') }]);
  await pass();
  expect(engine.submits).toBe(1);
  const { state } = await loadLatestState(room.store, SETTINGS.stateBucket);
  expect(state.pendingEffects).toEqual([]);
  expect(state.runs[jobId]).toMatchObject({ lifeCycleState: 'INTERNAL_ERROR', resultState: 'FAILED', error: expect.stringContaining('cannot contain') });
  expect(await room.read('advertiser-bucket', 'runs')).toEqual([expect.objectContaining({ job_id: jobId, result_state: 'FAILED' })]);
});
