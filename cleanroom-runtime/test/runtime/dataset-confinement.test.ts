/**
 * A dataset's owner can rewrite its Delta log after registration. A log whose live files lie in another participant's
 * bucket (which the cluster can read) must never reach a run: the dataset is left out of the run's datasets, with a
 * pass error naming it. A storage failure while checking decides nothing: submissions wait, no attempt is used.
 */
import { commitFileName } from '../../src/delta/actions';
import { DeltaTable } from '../../src/delta/table';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { readyForJob, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const USERS = { bucket: 'publisher-bucket', prefix: 'input/users' };

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;
const submittedTables = (i: number) => room.engine.submits[i].datasets.map((d) => `${d.participant}.${d.table}`);

/** The publisher appends a raw commit to its own users table, as anyone with write access to its bucket can. */
async function commitToUsers(...actions: object[]): Promise<void> {
  const version = (await (await DeltaTable.open(room.store, USERS.bucket, USERS.prefix)).latestVersion()) + 1;
  const body = actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
  await room.store.createIfAbsent(USERS.bucket, `${USERS.prefix}/_delta_log/${commitFileName(version)}`, new TextEncoder().encode(body));
}

async function firstFileOf(bucket: string, prefix: string): Promise<{ path: string; size: number }> {
  const [file] = (await (await DeltaTable.open(room.store, bucket, prefix)).snapshot()).files;
  return { path: file.path, size: file.size };
}

const addOf = (path: string, size: number) => ({ add: { path, partitionValues: {}, size, modificationTime: room.clock, dataChange: true } });

beforeEach(async () => {
  room = new LocalCleanRoom();
  await readyForJob(room, SQL, pass);
});
afterEach(() => room.cleanup());

test('a dataset whose log adds a file from another participant\'s bucket is left out of every run of the pass, reported once', async () => {
  const stolen = await firstFileOf('advertiser-bucket', 'input/conversions');
  const foreign = `gs://advertiser-bucket/input/conversions/${stolen.path}`;
  await commitToUsers(addOf(foreign, stolen.size));
  const jobs = [await sendCountJob(room), await sendCountJob(room)];

  const report = await pass();
  expect(room.engine.submits.map((s) => s.jobId).sort()).toEqual([...jobs].sort());
  expect(submittedTables(0)).toEqual(['advertiser.conversions']);
  expect(submittedTables(1)).toEqual(['advertiser.conversions']);
  const refusals = report.errors.filter((e) => e.includes('publisher.users'));
  expect(refusals).toEqual([expect.stringContaining('left out of job runs')]);
  expect(refusals[0]).toContain(foreign);
  expect(refusals[0]).toContain("outside this table's bucket");
});

test('a dataset whose deletion vector lies in another participant\'s bucket is left out of runs, like a foreign data file', async () => {
  const own = await firstFileOf(USERS.bucket, USERS.prefix);
  const foreignVector = 'gs://advertiser-bucket/input/conversions/deletion_vector_0d6d8c5e-0000-4000-8000-000000000000.bin';
  await commitToUsers(
    { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } },
    { remove: { path: own.path, dataChange: true, deletionTimestamp: room.clock } },
    { add: { ...addOf(own.path, own.size).add, deletionVector: { storageType: 'p', pathOrInlineDv: foreignVector, offset: 1, sizeInBytes: 40, cardinality: 1 } } },
  );
  await sendCountJob(room);
  const report = await pass();
  expect(submittedTables(0)).toEqual(['advertiser.conversions']);
  const refusals = report.errors.filter((e) => e.includes('publisher.users'));
  expect(refusals).toEqual([expect.stringContaining('left out of job runs')]);
  expect(refusals[0]).toContain(`${foreignVector} is outside this table's bucket`);
});

test('the owner repairing its log brings the dataset back into the next run', async () => {
  const stolen = await firstFileOf('advertiser-bucket', 'input/conversions');
  const foreign = `gs://advertiser-bucket/input/conversions/${stolen.path}`;
  await commitToUsers(addOf(foreign, stolen.size));
  await sendCountJob(room);
  await pass();
  expect(submittedTables(0)).toEqual(['advertiser.conversions']);

  room.clock += 60_000;
  await commitToUsers({ remove: { path: foreign, deletionTimestamp: room.clock, dataChange: true } });
  await sendCountJob(room);
  const report = await pass();
  expect(report.errors.filter((e) => e.includes('publisher.users'))).toEqual([]);
  expect(submittedTables(1)).toEqual(['advertiser.conversions', 'publisher.users']);
  const [, second] = room.engine.submits;
  expect((await state()).runs[second.jobId]).toMatchObject({ resultState: 'SUCCESS' });
});

test('clean datasets, including one naming its own files by absolute gs:// path, stay in the run', async () => {
  const own = await firstFileOf(USERS.bucket, USERS.prefix);
  await commitToUsers(
    { remove: { path: own.path, deletionTimestamp: room.clock, dataChange: true } },
    addOf(`gs://${USERS.bucket}/${USERS.prefix}/${own.path}`, own.size),
  );
  const jobId = await sendCountJob(room);
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect(submittedTables(0)).toEqual(['advertiser.conversions', 'publisher.users']);
  expect((await state()).runs[jobId]).toMatchObject({ resultState: 'SUCCESS' });
});

test('a storage failure while checking a dataset postpones the submission without using an attempt, and drops nothing', async () => {
  const jobId = await sendCountJob(room);
  room.store.beforeRequest = (_kind, bucket, key) => {
    if (bucket === USERS.bucket && key.startsWith(`${USERS.prefix}/_delta_log/`)) throw new Error(`GCS gs://${bucket}/${key}: 503 Service Unavailable`);
  };
  const report = await pass();
  expect(report.submitted).toEqual([]);
  expect(report.submitFailures).toEqual([]);
  expect(room.engine.submits).toEqual([]);
  expect(report.errors).toEqual([expect.stringMatching(/job submissions postponed.*publisher\.users.*503/)]);
  expect((await state()).runs).toEqual({});
  expect((await state()).pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 0 });

  room.store.beforeRequest = undefined;
  room.clock += 60_000;
  const retried = await pass();
  expect(retried.errors).toEqual([]);
  expect(retried.submitted).toEqual([jobId]);
  expect(submittedTables(0)).toEqual(['advertiser.conversions', 'publisher.users']);
});
