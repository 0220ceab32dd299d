/**
 * Reading the approved code before a submission: a storage error is an outage (the submission waits, no attempt
 * used, never a FAILED run); a blob that is gone or altered is restored from a published copy that still hashes
 * right; only when none does is the submission refused.
 */
import { createHash } from 'node:crypto';
import { codeBlobKey, codeObjectKey } from '../../src/processor/effects';
import { MAX_SUBMIT_ATTEMPTS } from '../../src/processor/runs';
import { runPass } from '../../src/runtime/run-pass';
import { loadLatestState } from '../../src/runtime/state-store';
import type { ListOptions, ListPage, ObjectStore } from '../../src/storage/object-store';
import { cli, seed } from '../processor/fixtures';
import { CONVERSIONS_SCHEMA, LocalCleanRoom, SETTINGS, USERS_SCHEMA } from './pass-fixtures';

const SQL = '-- Databricks notebook source\nSELECT count(*) AS n FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
const HASH = createHash('sha256').update(SQL).digest('hex');
const BLOB = codeBlobKey(HASH);
const COPY = codeObjectKey('advertiser', 'count_users', HASH);

/** Reads of chosen objects fail like a storage outage (503 after the client's retries). */
class FlakyReads implements ObjectStore {
  failGet?: (bucket: string, key: string) => boolean;
  constructor(private readonly inner: ObjectStore) {}
  get(bucket: string, key: string): Promise<Uint8Array> {
    if (this.failGet?.(bucket, key)) return Promise.reject(new Error(`GCS GET gs://${bucket}/${key}: 503 Service Unavailable`));
    return this.inner.get(bucket, key);
  }
  list(bucket: string, prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.inner.list(bucket, prefix, options);
  }
  createIfAbsent(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.inner.createIfAbsent(bucket, key, data);
  }
  put(bucket: string, key: string, data: Uint8Array): Promise<void> {
    return this.inner.put(bucket, key, data);
  }
  delete(bucket: string, key: string): Promise<void> {
    return this.inner.delete(bucket, key);
  }
}

let room: LocalCleanRoom;
let store: FlakyReads;
const pass = () => runPass({ config: SETTINGS, store, engine: room.engine, now: room.now });
const state = async () => (await loadLatestState(room.store, SETTINGS.stateBucket)).state;

beforeEach(async () => {
  room = new LocalCleanRoom();
  store = new FlakyReads(room.store);
  await room.onboard();
  await room.writeDataset('publisher-bucket', 'input/users', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
  await room.writeDataset('advertiser-bucket', 'input/conversions', CONVERSIONS_SCHEMA, [{ user_id: 'u1', amount: 1 }]);
  const t = room.clock - 60_000;
  await room.send('publisher-bucket', seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t));
  await room.send('advertiser-bucket',
    seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t),
    cli.code('count_users', 'INSERT', SQL, { atMs: t }));
  await pass();
  room.clock += 60_000;
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: 'count_users' }, HASH, 'ok', room.clock - 30_000));
});
afterEach(() => room.cleanup());

async function sendJob(): Promise<string> {
  const job = seed.job('count', 'count_users', '{"output": "gs://advertiser-bucket/output/count"}', 'Small', room.clock - 20_000);
  await room.send('advertiser-bucket', job);
  return job.uuid as string;
}

test('a storage error reading the code blob postpones the submission without using an attempt, then it submits once', async () => {
  const jobId = await sendJob();
  store.failGet = (bucket, key) => bucket === SETTINGS.stateBucket && key === BLOB;
  for (let i = 0; i <= MAX_SUBMIT_ATTEMPTS; i++) {
    const report = await pass();
    expect(report.submitFailures).toEqual([]);
    expect(report.submitted).toEqual([]);
    expect(report.errors).toEqual([expect.stringMatching(new RegExp(`submission of job ${jobId} postponed, its approved code could not be read .*503`))]);
  }
  expect((await state()).runs).toEqual({});
  expect((await state()).pendingEffects).toContainEqual({ kind: 'submit_job', jobId, attempts: 0 });

  store.failGet = undefined;
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
  store.failGet = (_bucket, key) => key === COPY;
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
