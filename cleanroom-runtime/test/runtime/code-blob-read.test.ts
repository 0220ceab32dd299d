/**
 * Reading the approved code before a submission: a storage error is an outage (the submission waits, no attempt
 * used, never a FAILED run); a blob that is gone or altered is restored from a published copy that still hashes
 * right; only when none does is the submission refused.
 */
import { MAX_NOTEBOOK_BYTES } from '../../src/processor/code-content';
import { codeBlobKey, codeObjectKey } from '../../src/processor/effects';
import { MAX_SUBMIT_ATTEMPTS } from '../../src/processor/runs';
import { readApprovedCode } from '../../src/runtime/approved-code';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import { budgetEndsFor, HangingStore } from '../support/hanging-store';
import type { RequestKind } from '../support/instrumented-store';
import { sha256 } from '../processor/fixtures';
import { approveCode, CODE_NAME, declareDatasetsAndCode, sendCountJob } from './count-users-scenario';
import { LocalCleanRoom, SETTINGS } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const HASH = sha256(SQL);
const BLOB = codeBlobKey(HASH);
const COPY = codeObjectKey('advertiser', CODE_NAME, HASH);

/** Reads of the objects `picks` chooses fail like a storage outage (503 after the client's retries). */
const failReadsWhere = (picks: (bucket: string, key: string) => boolean) => (kind: RequestKind, bucket: string, key: string) => {
  if (kind === 'get' && picks(bucket, key)) throw new Error(`GCS GET gs://${bucket}/${key}: 503 Service Unavailable`);
};

let room: LocalCleanRoom;
const pass = () => runPass({ config: SETTINGS, store: room.store, engine: room.engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;

beforeEach(async () => {
  room = new LocalCleanRoom();
  await declareDatasetsAndCode(room, SQL);
  await pass();
  room.clock += 60_000;
  await approveCode(room, SQL);
});
afterEach(() => room.cleanup());

const sendJob = () => sendCountJob(room);

test('a storage error reading the code blob postpones the submission without using an attempt, then it submits once', async () => {
  const jobId = await sendJob();
  room.store.beforeRequest = failReadsWhere((bucket, key) => bucket === SETTINGS.stateBucket && key === BLOB);
  for (let i = 0; i <= MAX_SUBMIT_ATTEMPTS; i++) {
    const report = await pass();
    expect(report.submitFailures).toEqual([]);
    expect(report.submitted).toEqual([]);
    expect(report.errors).toEqual([expect.stringMatching(new RegExp(`submission of job ${jobId} postponed, its approved code could not be read .*503`))]);
  }
  expect((await state()).runs).toEqual({});
  expect((await state()).pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 0 });

  room.store.beforeRequest = undefined;
  const report = await pass();
  expect(report.errors).toEqual([]);
  expect(report.submitted).toEqual([jobId]);
  expect((await state()).runs[jobId]).toMatchObject({ lifeCycleState: 'TERMINATED', resultState: 'SUCCESS' });
});

test('a deleted code blob is restored from a published copy that hashes right, and the job runs that content', async () => {
  await room.store.delete(SETTINGS.stateBucket, BLOB);
  await room.store.put('advertiser-bucket', COPY, new TextEncoder().encode('-- Databricks notebook source\nSELECT 666 AS n\n'));
  const jobId = await sendJob();
  const report = await pass();
  expect(report.submitFailures).toEqual([]);
  expect(report.submitted).toEqual([jobId]);
  // The owner's copy was forged, so the keeper's copy (hash verified) is the one restored.
  expect(report.errors).toEqual([expect.stringContaining(`restored into the state bucket from gs://publisher-bucket/${COPY}`)]);
  expect(new TextDecoder().decode(await room.store.get(SETTINGS.stateBucket, BLOB))).toBe(SQL);
  expect((await state()).runs[jobId]).toMatchObject({ resultState: 'SUCCESS' });
});

test('a storage error reading a published copy postpones too: the unreadable copy may be the good one', async () => {
  await room.store.delete(SETTINGS.stateBucket, BLOB);
  const jobId = await sendJob();
  room.store.beforeRequest = failReadsWhere((_bucket, key) => key === COPY);
  const report = await pass();
  expect(report.submitFailures).toEqual([]);
  expect(report.errors).toContainEqual(expect.stringMatching(new RegExp(`submission of job ${jobId} postponed.*is missing`)));
  expect((await state()).pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 0 });
});

test('an altered blob with no good copy left is a definitive refusal, with a message that says what to do', async () => {
  await room.store.put(SETTINGS.stateBucket, BLOB, new TextEncoder().encode('SELECT 1'));
  for (const bucket of ['advertiser-bucket', 'publisher-bucket']) await room.store.delete(bucket, COPY);
  const jobId = await sendJob();
  const report = await pass();
  expect(report.submitted).toEqual([]);
  expect(report.submitFailures).toEqual([
    { jobId, error: expect.stringMatching(/does not match its sha256 .*no published copy has sha256 .*register the code again/) },
  ]);
  expect((await state()).pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 1 });
});

test('a published copy larger than any code is never read while the blob is restored from another one', async () => {
  await room.store.delete(SETTINGS.stateBucket, BLOB);
  await room.store.put('advertiser-bucket', COPY, new Uint8Array(MAX_NOTEBOOK_BYTES + 1));
  const reads: string[] = [];
  room.store.beforeRequest = (kind, bucket, key) => {
    if (kind === 'get') reads.push(`${bucket}/${key}`);
  };
  const jobId = await sendJob();
  const report = await pass();
  expect(reads).not.toContain(`advertiser-bucket/${COPY}`);
  expect(report.submitted).toEqual([jobId]);
  expect(report.errors).toEqual([expect.stringContaining(`restored into the state bucket from gs://publisher-bucket/${COPY}`)]);
});

test('a published copy in a bucket that never answers is abandoned at the time budget; another copy restores the blob', async () => {
  await room.store.delete(SETTINGS.stateBucket, BLOB);
  const store = new HangingStore(room.store);
  store.hanging.add('advertiser-bucket');
  const code = { owner: 'advertiser', name: CODE_NAME, hash: HASH };
  const read = await readApprovedCode(store, SETTINGS.stateBucket, code, ['advertiser-bucket', 'publisher-bucket'], { timer: budgetEndsFor('advertiser-bucket') });
  expect(read).toEqual({ ok: true, content: SQL, restoredFrom: `gs://publisher-bucket/${COPY}` });
  expect(new TextDecoder().decode(await room.store.get(SETTINGS.stateBucket, BLOB))).toBe(SQL);
});
