/**
 * A job pins code that was approved when the job was accepted; its submission comes later (same pass, or later
 * passes when it is postponed). A keeper's rejection, or the code's deletion, in between must stop it: the
 * clean room never starts a run of code that is not approved at that moment.
 */
import { codeBlobKey } from '../../src/processor/effects';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { cli, sha256, versionHash } from '../processor/fixtures';
import { CODE_NAME, readyForJob, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
const reject = (atMs: number) =>
  room.send('publisher-bucket', cli.approval('CODE_REQUEST_REJECTED', { code_name: CODE_NAME }, versionHash(SQL), 'it leaks user ids', atMs));

beforeEach(async () => {
  room = new LocalCleanRoom();
  await readyForJob(room, SQL, pass);
});
afterEach(() => room.cleanup());

test('a rejection applied in the same pass as the job stops its submission', async () => {
  const jobId = await sendCountJob(room);
  await reject(room.clock - 10_000);
  const report = await pass();
  expect(report.events.map((e) => [e.eventType, e.status])).toEqual([['JOB', 'SUCCESS'], ['CODE_REQUEST_REJECTED', 'SUCCESS']]);
  expect(report.submitted).toEqual([]);
  expect(room.engine.submits).toEqual([]);
  expect(report.submitFailures).toEqual([{ jobId, error: expect.stringMatching(/not started: code "count_users" was rejected: it leaks user ids/) }]);
  const after = await state();
  expect(after.runs[jobId]).toMatchObject({ resultState: 'FAILED', error: expect.stringContaining('was rejected') });
  expect(after.pendingEffects.filter((e) => e.kind === 'submit_job')).toEqual([]);
});

test('a submission postponed by a storage outage does not start once the code was rejected meanwhile', async () => {
  const jobId = await sendCountJob(room);
  room.store.beforeRequest = (kind, bucket, key) => {
    if (kind === 'get' && bucket === SETTINGS.stateBucket && key === codeBlobKey(sha256(SQL))) throw new Error('503 Service Unavailable');
  };
  expect((await pass()).submitted).toEqual([]);
  room.store.beforeRequest = undefined;
  room.clock += 60_000;
  await reject(room.clock - 10_000);
  const report = await pass();
  expect(report.submitted).toEqual([]);
  expect(room.engine.submits).toEqual([]);
  expect((await state()).runs[jobId]).toMatchObject({ resultState: 'FAILED', error: expect.stringContaining('was rejected') });
});
